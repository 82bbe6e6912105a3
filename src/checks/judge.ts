// The one place an observed value meets its threshold ladder. A probe calls judge() once per
// measurement: the observation leaves with its status, severity and output text settled, and
// the store, the span and the logs read them instead of evaluating again.
import { round2 } from '../text.ts';
import { evaluate, type Thresholds } from './levels.ts';
import type { CheckDecl, CheckObservation } from './types.ts';

/** ` %` for percents, ` s`, ` messages`…, nothing for plain counts. */
export function unitSuffix(unit: string): string {
  return unit === 'percent' ? ' %' : unit ? ` ${unit}` : '';
}

/** How an observed value reads in outputs, logs, `vigil check` and /ready: `72.4 %`, `12.5 s`, `ok`. */
export function formatObserved(value: unknown, unit: string): string {
  return typeof value === 'number' ? `${round2(value)}${unitSuffix(unit)}` : String(value);
}

/**
 * Judges `value` against `thresholds`. The output is `text`, then the crossed level if any —
 * ` (warn ≥ 70 %)`, ` (fail < 50 %)` — then `after`. `unit` is the one the levels are shown in
 * (default: the check's).
 */
export function judge(
  check: CheckDecl,
  componentId: string,
  value: number,
  thresholds: Thresholds,
  text: string,
  after = '',
  unit = check.unit,
): CheckObservation {
  const { status, severity, level } = evaluate(value, thresholds);
  const op = thresholds.direction === 'above' ? '≥' : '<';
  const crossed = level ? ` (${level.status} ${op} ${level.at}${unitSuffix(unit)})` : '';
  return { check, componentId, observedValue: value, thresholds, status, ...(severity ? { severity } : {}), output: `${text}${crossed}${after}` };
}

/** A percentage, rounded to 0.01: `72.4 % used (warn ≥ 70 %), 12.1 GiB free of 50 GiB`. */
export function judgePercent(check: CheckDecl, componentId: string, value: number, thresholds: Thresholds, verb: string, detail?: string): CheckObservation {
  const observed = round2(value);
  return judge(check, componentId, observed, thresholds, `${observed} % ${verb}`, detail ? `, ${detail}` : '', 'percent');
}

/** A quantity in `unit` (`s`, or '' for a count): `12.5 s behind the primary (fail ≥ 5 s)`. */
export function judgeValue(check: CheckDecl, componentId: string, value: number, thresholds: Thresholds, unit: string, what: string): CheckObservation {
  return judge(check, componentId, value, thresholds, `${value}${unitSuffix(unit)} ${what}`, '', unit);
}

/** A check that could not be measured: fails with the check's own failSeverity. */
export function failedObservation(check: CheckDecl, componentId: string, output: string): CheckObservation {
  return { check, componentId, observedValue: null, status: 'fail', output };
}
