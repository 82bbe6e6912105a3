// Shared by the host probes (disk, memory, cpu): reading /proc, /sys and cgroup files without
// blocking the event loop, racing slow calls against deadlines, threshold config and the
// short human outputs of percentage checks.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { percent } from '../config/common.ts';
import { evaluate, ladder, type Level, type Severity, type Thresholds } from '../checks/levels.ts';
import type { CheckDecl, CheckObservation } from './types.ts';

// ---- files -------------------------------------------------------------------------------

export function readText(path: string, signal: AbortSignal): Promise<string> {
  return readFile(path, { encoding: 'utf8', signal });
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The file's text, or undefined when it does not exist (no cgroup, controller not enabled). */
export async function readOptionalText(path: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await readText(path, signal);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** `key value` lines (memory.stat, cpu.stat) → numbers; malformed lines are skipped. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, raw] = line.trim().split(/\s+/);
    const value = Number(raw);
    if (key && raw !== undefined && Number.isFinite(value)) values.set(key, value);
  }
  return values;
}

export type CgroupVersion = 1 | 2;

/** The unified hierarchy has `cgroup.controllers` at its root; hybrid hosts count as v1. */
export async function cgroupVersion(sys: string): Promise<CgroupVersion> {
  return (await exists(join(sys, 'fs/cgroup/cgroup.controllers'))) ? 2 : 1;
}

/** A short reason for outputs and partial errors: `EACCES: permission denied, statfs '/x'`. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---- thresholds --------------------------------------------------------------------------

type PercentLevels<K extends string> = { [P in K]?: number | undefined };

/**
 * `{warn: 80, fail: 90}`-style percents. Each key is optional over `defaults`; once merged
 * they must be strictly ascending in the order of `keys`.
 */
export function ascendingPercents<const K extends string>(keys: readonly K[], defaults: PercentLevels<K>) {
  const shape = Object.fromEntries(keys.map((k) => [k, percent.optional()])) as { [P in K]: z.ZodOptional<typeof percent> };
  return z.strictObject(shape).superRefine((value, ctx) => {
    let previous: { key: K; at: number; given: boolean } | undefined;
    for (const key of keys) {
      const given = (value as PercentLevels<K>)[key];
      const at = given ?? defaults[key];
      if (at === undefined) continue;
      if (previous && at <= previous.at) {
        // Point at what the user wrote; defaults alone are ascending.
        if (given !== undefined) {
          const which = `${previous.key} (${previous.at}${previous.given ? '' : ', the default'})`;
          ctx.addIssue({ code: 'custom', path: [key], message: `must be greater than ${which}` });
        } else {
          ctx.addIssue({ code: 'custom', path: [previous.key], message: `must be less than ${key} (${at}, the default)` });
        }
      }
      previous = { key, at, given: given !== undefined };
    }
  });
}

export interface LevelSpec<K extends string> {
  readonly key: K;
  readonly status: Level['status'];
  readonly severity: Severity;
  /** Absent: the level exists only when configured. */
  readonly default?: number;
}

/** Builds the `above` ladder from a validated `ascendingPercents` value and the level specs. */
export function percentLadder<K extends string>(given: PercentLevels<K> | undefined, specs: readonly LevelSpec<K>[]): Thresholds {
  const levels: Level[] = [];
  for (const spec of specs) {
    const at = given?.[spec.key] ?? spec.default;
    if (at !== undefined) levels.push({ status: spec.status, at, severity: spec.severity });
  }
  return ladder('above', ...levels);
}

export function specDefaults<K extends string>(specs: readonly LevelSpec<K>[]): PercentLevels<K> {
  return Object.fromEntries(specs.map((s) => [s.key, s.default])) as PercentLevels<K>;
}

// ---- outputs -----------------------------------------------------------------------------

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
