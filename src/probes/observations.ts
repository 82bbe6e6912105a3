// Short human outputs and observations shared by every probe: `72.4 % used (warn ≥ 70 %)`,
// `1.5 GiB`, a check that could not be measured.
import { evaluate, type Thresholds } from '../checks/levels.ts';
import type { CheckDecl, CheckObservation } from './types.ts';

/** A short reason for outputs and partial errors: `EACCES: permission denied, statfs '/x'`. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1.5 GiB, 512 MiB, 12.1 GiB: three significant digits at most. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${+value.toPrecision(3)} ${UNITS[unit]}`;
}

/**
 * A percentage check evaluated against `thresholds`; the store derives status and severity
 * from the value. Output: `72.4 % used (warn ≥ 70 %), 12.1 GiB free of 50 GiB`.
 */
export function percentObservation(
  check: CheckDecl,
  componentId: string,
  value: number,
  thresholds: Thresholds,
  verb: string,
  detail?: string,
): CheckObservation {
  const observedValue = round2(value);
  const { level } = evaluate(observedValue, thresholds);
  const crossed = level ? ` (${level.status} ≥ ${level.at} %)` : '';
  const output = `${observedValue} % ${verb}${crossed}${detail ? `, ${detail}` : ''}`;
  return { check, componentId, observedValue, thresholds, output };
}

/** A check that could not be measured: fails with the check's own failSeverity. */
export function failedObservation(check: CheckDecl, componentId: string, output: string): CheckObservation {
  return { check, componentId, observedValue: null, status: 'fail', output };
}
