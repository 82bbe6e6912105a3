// /proc/stat and /proc/loadavg.
import { join } from 'node:path';
import { readText } from '../host-files.ts';

/** Kernel tick rate of /proc/stat (USER_HZ), 100 on every Linux architecture we run on. */
export const USER_HZ = 100;

// guest and guest_nice are already counted in user and nice, so they are left out.
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuMode = (typeof CPU_MODES)[number];
/** Cumulative ticks per mode, all CPUs summed. */
export type CpuTimes = Readonly<Record<CpuMode, number>>;

/** The aggregate `cpu` line and the per-CPU `cpuN` lines of /proc/stat. */
export interface StatTimes {
  readonly total: CpuTimes;
  /** Keyed by the CPU number as node_exporter's `cpu` label has it ("0", "1"…), in file order. */
  readonly perCpu: ReadonlyMap<string, CpuTimes>;
}

function timesOf(line: string): CpuTimes {
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  if (values.length < 4 || values.some((v) => !Number.isFinite(v))) throw new Error(`unreadable cpu line: ${line}`);
  return Object.fromEntries(CPU_MODES.map((mode, i) => [mode, values[i] ?? 0])) as Record<CpuMode, number>;
}

/** The aggregate `cpu` line; older kernels have fewer columns (missing ones count 0). */
export function parseCpuTimes(text: string): CpuTimes {
  return parseStat(text).total;
}

/**
 * Aggregate and per-CPU times. Offline CPUs have no line (as in node_exporter, their series
 * disappear); an unreadable per-CPU line fails like the aggregate one, as the file is corrupt.
 */
export function parseStat(text: string): StatTimes {
  let total: CpuTimes | undefined;
  const perCpu = new Map<string, CpuTimes>();
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) total = timesOf(line);
    else {
      const m = /^cpu(\d+)\s/.exec(line);
      if (m) perCpu.set(m[1] as string, timesOf(line));
    }
  }
  if (!total) throw new Error('/proc/stat has no aggregate cpu line');
  return { total, perCpu };
}

/** 1 − Δ(idle + iowait) / Δtotal, within [0, 1]; 0 when no time elapsed. */
export function busyRatio(previous: CpuTimes, current: CpuTimes): number {
  let total = 0;
  for (const mode of CPU_MODES) total += current[mode] - previous[mode];
  const idle = current.idle + current.iowait - (previous.idle + previous.iowait);
  if (total <= 0) return 0;
  return Math.min(1, Math.max(0, 1 - idle / total));
}

export interface LoadAverage {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

export function parseLoadavg(text: string): LoadAverage {
  const [load1, load5, load15] = text.trim().split(/\s+/).map(Number);
  if (![load1, load5, load15].every((v) => v !== undefined && Number.isFinite(v))) throw new Error(`unreadable loadavg: ${text.trim()}`);
  return { load1: load1 as number, load5: load5 as number, load15: load15 as number };
}

export async function readCpuTimes(proc: string, signal: AbortSignal): Promise<StatTimes> {
  return parseStat(await readText(join(proc, 'stat'), signal));
}

export async function readLoadavg(proc: string, signal: AbortSignal): Promise<LoadAverage> {
  return parseLoadavg(await readText(join(proc, 'loadavg'), signal));
}
