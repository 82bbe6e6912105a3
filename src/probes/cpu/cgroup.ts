// CFS quota and throttling counters of our cgroup (cpu controller).
import { join } from 'node:path';
import { cgroupVersion, parseFlatKeyed, readOptionalText, type CgroupVersion } from '../host-files.ts';

export interface CpuThrottling {
  readonly periods: number;
  readonly throttledPeriods: number;
  readonly throttledSeconds: number;
}

export interface CgroupCpu {
  readonly version: CgroupVersion;
  /** Absent when the cgroup has no CFS counters (host root cgroup, controller off). */
  readonly throttling: CpuThrottling | undefined;
  /** quota / period; null when unlimited. */
  readonly limitCores: number | null;
}

export interface CgroupCpuFiles {
  readonly stat: string | undefined;
  /** v2 `cpu.max`: `<quota|max> <period>`. */
  readonly max?: string | undefined;
  /** v1 `cpu.cfs_quota_us` (−1: unlimited) and `cpu.cfs_period_us`. */
  readonly quota?: string | undefined;
  readonly period?: string | undefined;
}

function throttlingFrom(version: CgroupVersion, stat: string | undefined): CpuThrottling | undefined {
  if (stat === undefined) return undefined;
  const values = parseFlatKeyed(stat);
  const periods = values.get('nr_periods');
  const throttledPeriods = values.get('nr_throttled');
  // v2 counts microseconds, v1 nanoseconds.
  const throttledSeconds = version === 2 ? (values.get('throttled_usec') ?? 0) / 1e6 : (values.get('throttled_time') ?? 0) / 1e9;
  if (periods === undefined || throttledPeriods === undefined) return undefined;
  return { periods, throttledPeriods, throttledSeconds };
}

function limitFrom(quotaText: string | undefined, periodText: string | undefined): number | null {
  if (quotaText === undefined || periodText === undefined || quotaText.trim() === 'max') return null;
  const quota = Number(quotaText.trim());
  const period = Number(periodText.trim());
  if (!Number.isFinite(quota) || !Number.isFinite(period)) throw new Error(`unreadable CFS quota: ${quotaText.trim()} / ${periodText.trim()}`);
  return quota > 0 && period > 0 ? quota / period : null;
}

/** undefined when there is nothing to report (no counters, no quota). */
export function cgroupCpuFrom(version: CgroupVersion, files: CgroupCpuFiles): CgroupCpu | undefined {
  const throttling = throttlingFrom(version, files.stat);
  const [quota, period] = version === 2 && files.max !== undefined ? files.max.trim().split(/\s+/) : [files.quota, files.period];
  const limitCores = limitFrom(quota, period);
  return throttling || limitCores !== null ? { version, throttling, limitCores } : undefined;
}

export async function readCgroupCpu(sys: string, signal: AbortSignal): Promise<CgroupCpu | undefined> {
  const version = await cgroupVersion(sys);
  if (version === 2) {
    const dir = join(sys, 'fs/cgroup');
    const [stat, max] = await Promise.all([readOptionalText(join(dir, 'cpu.stat'), signal), readOptionalText(join(dir, 'cpu.max'), signal)]);
    return cgroupCpuFrom(2, { stat, max });
  }
  const dir = join(sys, 'fs/cgroup/cpu');
  const [stat, quota, period] = await Promise.all([
    readOptionalText(join(dir, 'cpu.stat'), signal),
    readOptionalText(join(dir, 'cpu.cfs_quota_us'), signal),
    readOptionalText(join(dir, 'cpu.cfs_period_us'), signal),
  ]);
  return cgroupCpuFrom(1, { stat, quota, period });
}

/** Δthrottled / Δperiods; 0 when no period elapsed (idle, or counters reset). */
export function throttledRatio(previous: CpuThrottling, current: CpuThrottling): number {
  const periods = current.periods - previous.periods;
  const throttled = current.throttledPeriods - previous.throttledPeriods;
  return periods > 0 && throttled >= 0 ? Math.min(1, throttled / periods) : 0;
}
