// What the configuration knows of probes: a kind's section (its schema and how it resolves into
// instances), the resolved settings of one instance, and where host probes read from. The probe
// kinds (src/probes/kind.ts) extend ProbeSection with how to build their probes, so the loader
// validates every kind's section without importing probes/.
import type { z } from 'zod';
import { resolveSchedule, type CommonProbeInput, type ProbeSchedule } from './common.ts';
import type { ReportDeprecated } from './deprecation.ts';

/** Resolved settings of one probe instance: schedule plus the kind's own options. */
export interface ProbeSettings<Options> {
  readonly kind: string;
  /** Unique instance name: the kind for host probes, `kind/target` for targets. */
  readonly name: string;
  readonly schedule: ProbeSchedule;
  readonly options: Options;
}

export interface ResolveInput<Raw> {
  /** The kind's section of the config file, already validated by `schema`; undefined when absent. */
  readonly section: Raw | undefined;
  /** Schedule after `defaults:` is applied. */
  readonly defaults: ProbeSchedule;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Reports a problem found while resolving (a cross-field rule the schema cannot express).
 * `path` is relative to the kind's section, e.g. `thresholds.fail`.
 */
export type ReportProblem = (path: string, message: string) => void;

/** A probe kind as the configuration sees it: its section under `probes:` and how it resolves. */
export interface ProbeSection<Raw = unknown, Options = unknown> {
  /** Config key under `probes:`, also the folder name. */
  readonly key: string;
  readonly description: string;
  readonly schema: z.ZodType<Raw>;
  /** Returns zero or more instances (none when disabled). Never does I/O. */
  resolve(input: ResolveInput<Raw>, report: ReportProblem, deprecated?: ReportDeprecated): ProbeSettings<Options>[];
}

/** Where host probes read from; in a DaemonSet the host's `/` is mounted at e.g. `/host`. */
export interface HostPaths {
  readonly proc: string;
  readonly sys: string;
  readonly rootfs: string;
}

/**
 * resolve() for kinds with a single instance named after the kind (the host probes): the
 * section's schedule over the defaults, nothing when disabled.
 */
export function singleInstance<Raw extends CommonProbeInput, Options>(
  key: string,
  options: (section: Raw | undefined, schedule: ProbeSchedule, report: ReportProblem) => Options,
): ProbeSection<Raw, Options>['resolve'] {
  return ({ section, defaults }, report) => {
    const schedule = resolveSchedule(section, defaults);
    if (!schedule.enabled) return [];
    return [Object.freeze({ kind: key, name: key, schedule, options: options(section, schedule, report) })];
  };
}
