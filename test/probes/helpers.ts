// Shared by the host probe tests: fixture paths, contexts, settings and result lookups.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { BUILTIN_SCHEDULE, type ProbeSchedule } from '../../src/config/common.ts';
import { evaluate, type Severity, type Status } from '../../src/checks/levels.ts';
import type { MetricDecl } from '../../src/metrics/family.ts';
import type { KindConfig, ProbeSettings } from '../../src/probes/kind.ts';
import type { CheckObservation, Collection, HostPaths, ProbeContext } from '../../src/probes/types.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/host/', import.meta.url));

export function hostAt(root: string): HostPaths {
  return { proc: join(root, 'proc'), sys: join(root, 'sys'), rootfs: join(root, 'rootfs') };
}

export function fixture(scenario: string): HostPaths {
  return hostAt(join(FIXTURES, scenario));
}

export function context(host: HostPaths): ProbeContext {
  return { logger: pino({ enabled: false }), host };
}

/** A writable copy of a scenario, for tests that change files between two samples. */
export async function copyScenario(t: { testdir: () => string }, scenario: string): Promise<string> {
  const dir = t.testdir();
  await cp(join(FIXTURES, scenario), dir, { recursive: true });
  return dir;
}

/** Validates `section` with the kind's schema and resolves it; throws on any problem. */
export function settingsOf<Raw, Options>(
  kind: KindConfig<Raw, Options>,
  section?: unknown,
  defaults: ProbeSchedule = BUILTIN_SCHEDULE,
): ProbeSettings<Options> {
  const raw = section === undefined ? undefined : kind.schema.parse(section);
  const problems: string[] = [];
  const [settings] = kind.resolve({ section: raw, defaults, env: {} }, (path, message) => problems.push(`${path}: ${message}`));
  if (problems.length) throw new Error(problems.join('; '));
  if (!settings) throw new Error('the section resolved to no instance');
  return settings;
}

export function live(): AbortSignal {
  return new AbortController().signal;
}

export function valueOf(c: Collection, metric: MetricDecl, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(labels);
  return c.samples.find((s) => s.metric === metric && JSON.stringify(s.labels) === want)?.value;
}

export function seriesOf(c: Collection, metric: MetricDecl): Record<string, string>[] {
  return c.samples.filter((s) => s.metric === metric).map((s) => ({ ...s.labels }));
}

export function checkOf(c: Collection, id: string, componentId: string): CheckObservation | undefined {
  return c.checks.find((o) => o.check.id === id && o.componentId === componentId);
}

/** Status and severity as the check store settles them. */
export function verdict(o: CheckObservation | undefined): { status: Status; severity: Severity | null } | undefined {
  if (!o) return undefined;
  if (o.status) return { status: o.status, severity: o.status === 'pass' ? null : (o.severity ?? (o.status === 'fail' ? o.check.failSeverity : null)) };
  if (o.thresholds && typeof o.observedValue === 'number') {
    const e = evaluate(o.observedValue, o.thresholds);
    return { status: e.status, severity: e.severity };
  }
  return { status: 'pass', severity: null };
}
