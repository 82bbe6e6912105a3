// The plain-text answers of /ready: "ok", "not ready: …", or with ?verbose one line per check
// (Kubernetes' /readyz?verbose style). Component ids and outputs come from outside (a mount
// point may hold a newline): they are escaped so no one can forge a line.
import type { CheckView } from '../checks/store.ts';
import { formatObserved } from '../checks/judge.ts';
import { printable } from '../text.ts';

export interface ReadinessState {
  readonly ready: boolean;
  readonly reason: string;
}

/** `?verbose`, `?verbose=1`, `?verbose=true` are verbose; `?verbose=false|0|no|off` and no parameter are not. */
export function wantsVerbose(query: Record<string, unknown>): boolean {
  if (!('verbose' in query)) return false;
  const value = query.verbose;
  const text = String(Array.isArray(value) ? value.at(-1) : (value ?? ''))
    .trim()
    .toLowerCase();
  return !['false', '0', 'no', 'off'].includes(text);
}

/** The short answer, or with every check's views (?verbose) one line per check. */
export function readinessText(r: ReadinessState, views: readonly CheckView[] | null): string {
  if (!views) return r.ready ? 'ok\n' : `not ready: ${printable(r.reason)}\n`;
  const lines: string[] = [];
  if (r.reason === 'shutting down') lines.push('[-]shutdown failed: shutting down');
  else if (r.reason.startsWith('first round')) lines.push('[-]first-round failed: probes still running');
  for (const v of views) {
    const blocking = v.critical && v.status === 'fail';
    const note = v.status === 'pass' ? 'ok' : `${v.status}: ${v.output || formatObserved(v.observedValue, v.check.unit)}`;
    lines.push(printable(`${blocking ? '[-]' : '[+]'}${v.check.id} ${v.componentId} ${note}${v.critical || v.status === 'pass' ? '' : ' (not critical)'}`));
  }
  lines.push(r.ready ? 'readyz check passed' : 'readyz check failed');
  return `${lines.join('\n')}\n`;
}
