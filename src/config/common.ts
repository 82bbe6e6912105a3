// Settings every probe shares, and helpers for each probe kind's own config schema.
import { z } from 'zod';
import { DURATION_PATTERN, MAX_DURATION_MS, MIN_INTERVAL_MS, formatDuration, parseDuration } from './duration.ts';

/** A duration written as text ("10s", "500ms"); validated here, converted when resolving. */
export const duration = z
  .string({ error: 'must be a duration such as 500ms, 10s or 1m' })
  .regex(new RegExp(DURATION_PATTERN), { error: 'must be a duration such as 500ms, 10s or 1m', abort: true })
  .refine((v) => (parseDuration(v) ?? Infinity) <= MAX_DURATION_MS, {
    error: `must be at most ${formatDuration(MAX_DURATION_MS)} (about 24 days, the longest timer the runtime can set)`,
    abort: true,
  })
  .refine((v) => (parseDuration(v) ?? 0) > 0, { error: 'must be longer than 0' });

/** A probe interval: a duration of at least MIN_INTERVAL_MS. */
export const interval = duration.refine((v) => (parseDuration(v) ?? 0) >= MIN_INTERVAL_MS, {
  error: `must be at least ${formatDuration(MIN_INTERVAL_MS)}`,
});

export const percent = z
  .number({ error: 'must be a number from 0 to 100' })
  .min(0, { error: 'must be a number from 0 to 100' })
  .max(100, { error: 'must be a number from 0 to 100' });

export const positiveInt = z.number({ error: 'must be an integer ≥ 1' }).int({ error: 'must be an integer ≥ 1' }).min(1, { error: 'must be an integer ≥ 1' });

/** Fields accepted by every probe section (and by `defaults`). */
export const commonProbeFields = {
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  interval: interval.optional().describe(`Time between runs (at least ${formatDuration(MIN_INTERVAL_MS)}, at most ${formatDuration(MAX_DURATION_MS)})`),
  timeout: duration.optional(),
  failure_threshold: positiveInt.optional(),
  success_threshold: positiveInt.optional(),
  critical: z.boolean({ error: 'must be true or false' }).optional(),
};

export type CommonProbeInput = {
  enabled?: boolean | undefined;
  interval?: string | undefined;
  timeout?: string | undefined;
  failure_threshold?: number | undefined;
  success_threshold?: number | undefined;
  critical?: boolean | undefined;
};

/** Resolved schedule and state policy of one probe. */
export interface ProbeSchedule {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  /** Critical checks gate /ready. */
  readonly critical: boolean;
}

/** Built-in defaults; `defaults:` in the config file overrides them for every probe. */
export const BUILTIN_SCHEDULE: ProbeSchedule = Object.freeze({
  enabled: true,
  intervalMs: 15_000,
  timeoutMs: 5_000,
  failureThreshold: 3,
  successThreshold: 1,
  critical: false,
});

/** Merges a probe section over the defaults. Durations were validated by the schema. */
export function resolveSchedule(section: CommonProbeInput | undefined, base: ProbeSchedule): ProbeSchedule {
  const s = section ?? {};
  const intervalMs = s.interval !== undefined ? (parseDuration(s.interval) as number) : base.intervalMs;
  const timeoutMs = s.timeout !== undefined ? (parseDuration(s.timeout) as number) : Math.min(base.timeoutMs, intervalMs);
  return Object.freeze({
    enabled: s.enabled ?? base.enabled,
    intervalMs,
    timeoutMs,
    failureThreshold: s.failure_threshold ?? base.failureThreshold,
    successThreshold: s.success_threshold ?? base.successThreshold,
    critical: s.critical ?? base.critical,
  });
}

/**
 * The deadline of one call inside a run that may hang (statfs, a directory scan on a dead
 * mount): `given` (key `key`), by default 80 % of the probe's timeout. Shorter than the run's
 * deadline, so a hung mount fails its own checks before the runner aborts the whole run.
 */
export function innerTimeoutMs(given: string | undefined, key: string, schedule: ProbeSchedule, report: (path: string, message: string) => void): number {
  if (given === undefined) return Math.max(1, Math.round(schedule.timeoutMs * 0.8));
  const ms = parseDuration(given) as number;
  if (ms >= schedule.timeoutMs) report(key, `must be shorter than the probe's timeout (${formatDuration(schedule.timeoutMs)}), or the whole run times out`);
  return ms;
}
