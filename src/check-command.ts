// `vigil check`: every configured probe once, a table a person reads at a glance, and an exit
// code by status — the runbooks' morning health check in one command.
import { assemble, logDeprecations } from './agent.ts';
import { describeThresholds, type Status } from './checks/levels.ts';
import type { CheckView } from './checks/store.ts';
import type { ResolvedConfig } from './config/load.ts';
import { EXIT, type ExitCode } from './errors.ts';
import { healthDocument } from './http/health-doc.ts';
import type { Logger } from './log/logger.ts';
import type { ProbeKind } from './probes/kind.ts';
import { formatObserved } from './checks/judge.ts';
import { printable } from './text.ts';

export interface CheckCommandOptions {
  readonly json: boolean;
  readonly color: boolean;
  readonly write: (text: string) => void;
}

/** Gap between the two runs of a probe whose checks compare runs (Redis counters). */
export const SECOND_SAMPLE_MS = 1000;

export async function runCheckCommand(config: ResolvedConfig, kinds: readonly ProbeKind[], logger: Logger, options: CheckCommandOptions): Promise<ExitCode> {
  logDeprecations(config, logger);
  const parts = assemble(config, kinds, logger);
  await parts.runner.runOnce();
  const comparing = parts.runner.probes.filter((p) => p.comparesRuns);
  if (comparing.length > 0) {
    // Redis's hit ratio, evictions and rejections are deltas: sample again a moment later, and
    // judge the second run alone (no hysteresis across the two).
    await new Promise((resolve) => setTimeout(resolve, SECOND_SAMPLE_MS));
    for (const probe of comparing) parts.checks.forget(probe.name);
    await parts.runner.runOnce((p) => p.comparesRuns === true);
  }
  await parts.runner.stop();
  const views = parts.checks.views(new Date());
  const doc = healthDocument({ views, service: config.service, identity: config.identity, firstRoundDone: true });
  options.write(options.json ? `${JSON.stringify(doc, null, 2)}\n` : renderTable(views, doc.status, config.identity.nodeName, options.color));
  return doc.status === 'fail' ? EXIT.FAIL : doc.status === 'warn' ? EXIT.WARN : EXIT.OK;
}

const COLORS: Record<Status, string> = { pass: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };
const RESET = '\x1b[0m';

export function renderTable(views: readonly CheckView[], overall: Status, node: string, color: boolean): string {
  const header = ['STATUS', 'CHECK', 'COMPONENT', 'OBSERVED', 'THRESHOLDS', 'SEVERITY', 'PLAYBOOK / OUTPUT'];
  // Component ids and outputs come from outside (a mount point with a newline): escaped.
  const rows = views.map((v) =>
    [
      v.status.toUpperCase(),
      v.check.id,
      v.componentId,
      v.observedValue === null ? '-' : formatObserved(v.observedValue, v.check.unit),
      v.thresholds ? describeThresholds(v.thresholds, v.check.unit) : '-',
      v.status === 'pass' ? '-' : (v.severity ?? '-'),
      v.status === 'pass' ? (v.output ?? '') : [v.check.playbook, v.output].filter(Boolean).join(' — '),
    ].map(printable),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], status?: Status) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i] as number);
        return i === 0 && status && color ? `${COLORS[status]}${padded}${RESET}` : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map((r, i) => line(r, (views[i] as CheckView).status))];
  const counts = (['pass', 'warn', 'fail'] as const).map((s) => `${views.filter((v) => v.status === s).length} ${s}`).join(', ');
  const summary = `${printable(node)}: ${overall.toUpperCase()} (${counts})`;
  out.push('', color ? `${COLORS[overall]}${summary}${RESET}` : summary);
  return `${out.join('\n')}\n`;
}
