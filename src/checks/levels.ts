// Check statuses, runbook severities and threshold evaluation shared by every probe.

export type Status = 'pass' | 'warn' | 'fail';

/** Runbook severity levels (operations review, section 2). */
export type Severity = 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4';

export const STATUS_ORDER: Readonly<Record<Status, number>> = { pass: 0, warn: 1, fail: 2 };

export function worst(a: Status, b: Status): Status {
  return STATUS_ORDER[a] >= STATUS_ORDER[b] ? a : b;
}

/** One step of a threshold ladder, e.g. "warn at 70 % (SEV4)". */
export interface Level {
  readonly status: 'warn' | 'fail';
  readonly at: number;
  readonly severity: Severity;
}

/**
 * A ladder of levels for one observed value. `above`: the value is bad when it is >= `at`
 * (disk usage). `below`: bad when it is < `at` (cache hit ratio).
 */
export interface Thresholds {
  readonly direction: 'above' | 'below';
  /** Ordered from the mildest to the most severe level. */
  readonly levels: readonly Level[];
}

export interface Evaluation {
  readonly status: Status;
  readonly severity: Severity | null;
  /** The level that was crossed, if any. */
  readonly level: Level | null;
}

const PASS: Evaluation = Object.freeze({ status: 'pass', severity: null, level: null });

export function evaluate(value: number, thresholds: Thresholds): Evaluation {
  let crossed: Level | null = null;
  for (const level of thresholds.levels) {
    const bad = thresholds.direction === 'above' ? value >= level.at : value < level.at;
    if (bad) crossed = level;
  }
  return crossed ? { status: crossed.status, severity: crossed.severity, level: crossed } : PASS;
}

/** Builds a frozen ladder; levels are kept in the order given (mildest first). */
export function ladder(direction: Thresholds['direction'], ...levels: Level[]): Thresholds {
  return Object.freeze({ direction, levels: Object.freeze(levels.map((l) => Object.freeze({ ...l }))) });
}

/** Human form of a ladder: "warn ≥ 70, warn ≥ 85, fail ≥ 95". */
export function describeThresholds(t: Thresholds, unit = ''): string {
  const op = t.direction === 'above' ? '≥' : '<';
  const suffix = unit === 'percent' ? ' %' : unit ? ` ${unit}` : '';
  return t.levels.map((l) => `${l.status} ${op} ${l.at}${suffix}`).join(', ');
}
