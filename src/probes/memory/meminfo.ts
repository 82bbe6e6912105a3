// /proc/meminfo: host memory as the kernel accounts it.
import { join } from 'node:path';
import { readText } from '../host-files.ts';

export interface HostMemory {
  readonly totalBytes: number;
  /** MemAvailable; on kernels before 3.14, MemFree + Buffers + Cached. */
  readonly availableBytes: number;
  readonly freeBytes: number;
  readonly buffersBytes: number;
  readonly cachedBytes: number;
  readonly swapTotalBytes: number;
  readonly swapFreeBytes: number;
}

/** `MemTotal:  24683656 kB` lines → bytes (counts without a unit, like HugePages_Total, as is). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+)(\s+kB)?\s*$/.exec(line);
    if (!match) continue;
    const [, key = '', value = '', kB] = match;
    fields.set(key, Number(value) * (kB ? 1024 : 1));
  }
  return fields;
}

export function hostMemoryFrom(fields: ReadonlyMap<string, number>): HostMemory {
  const totalBytes = fields.get('MemTotal');
  if (totalBytes === undefined || totalBytes <= 0) throw new Error('meminfo has no MemTotal');
  const freeBytes = fields.get('MemFree') ?? 0;
  const buffersBytes = fields.get('Buffers') ?? 0;
  const cachedBytes = fields.get('Cached') ?? 0;
  return {
    totalBytes,
    availableBytes: fields.get('MemAvailable') ?? freeBytes + buffersBytes + cachedBytes,
    freeBytes,
    buffersBytes,
    cachedBytes,
    swapTotalBytes: fields.get('SwapTotal') ?? 0,
    swapFreeBytes: fields.get('SwapFree') ?? 0,
  };
}

export async function readHostMemory(proc: string, signal: AbortSignal): Promise<HostMemory> {
  return hostMemoryFrom(parseMeminfo(await readText(join(proc, 'meminfo'), signal)));
}

/** 1 − available / total, in percent. */
export function usedPercent(m: HostMemory): number {
  return (1 - m.availableBytes / m.totalBytes) * 100;
}
