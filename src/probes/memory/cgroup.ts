// The memory controller of our cgroup (the container's, or the host's root in a DaemonSet).
import { join } from 'node:path';
import { cgroupVersion, parseFlatKeyed, readOptionalText, type CgroupVersion } from '../host-files.ts';

export interface CgroupMemory {
  readonly version: CgroupVersion;
  /** Page cache included. */
  readonly usageBytes: number;
  /** usage − inactive_file, floored at 0: what the kubelet compares with the limit. */
  readonly workingSetBytes: number;
  /** null when unlimited. */
  readonly limitBytes: number | null;
}

export interface CgroupMemoryFiles {
  readonly limit: string | undefined;
  readonly usage: string | undefined;
  readonly stat: string | undefined;
}

const FILES: Record<CgroupVersion, { dir: string; limit: string; usage: string; inactiveFile: string[] }> = {
  2: { dir: 'fs/cgroup', limit: 'memory.max', usage: 'memory.current', inactiveFile: ['inactive_file'] },
  1: {
    dir: 'fs/cgroup/memory',
    limit: 'memory.limit_in_bytes',
    usage: 'memory.usage_in_bytes',
    // total_ includes child cgroups, as the kubelet reads it.
    inactiveFile: ['total_inactive_file', 'inactive_file'],
  },
};

/** v1 "unlimited" is PAGE_COUNTER_MAX rounded to pages, ~2^63. */
const V1_UNLIMITED = 2 ** 62;

function parseCount(text: string, what: string): number {
  const value = Number(text.trim());
  if (!Number.isFinite(value) || value < 0 || text.trim() === '') throw new Error(`${what}: not a byte count: ${JSON.stringify(text.trim())}`);
  return value;
}

/** undefined when there is no memory controller (no usage file). */
export function cgroupMemoryFrom(version: CgroupVersion, files: CgroupMemoryFiles, hostTotalBytes: number): CgroupMemory | undefined {
  const names = FILES[version];
  if (files.usage === undefined) return undefined;
  const usageBytes = parseCount(files.usage, names.usage);
  let limitBytes: number | null = null;
  if (files.limit !== undefined && files.limit.trim() !== 'max') {
    limitBytes = parseCount(files.limit, names.limit);
    // v1 has no "max": the limit of an unlimited cgroup is a huge number, or the host's size.
    if (version === 1 && (limitBytes >= V1_UNLIMITED || limitBytes >= hostTotalBytes)) limitBytes = null;
  }
  const stat = files.stat !== undefined ? parseFlatKeyed(files.stat) : new Map<string, number>();
  const inactiveFile = names.inactiveFile.map((k) => stat.get(k)).find((v) => v !== undefined) ?? 0;
  return { version, usageBytes, workingSetBytes: Math.max(0, usageBytes - inactiveFile), limitBytes };
}

export async function readCgroupMemory(sys: string, hostTotalBytes: number, signal: AbortSignal): Promise<CgroupMemory | undefined> {
  const version = await cgroupVersion(sys);
  const names = FILES[version];
  const dir = join(sys, names.dir);
  const [limit, usage, stat] = await Promise.all([
    readOptionalText(join(dir, names.limit), signal),
    readOptionalText(join(dir, names.usage), signal),
    readOptionalText(join(dir, 'memory.stat'), signal),
  ]);
  return cgroupMemoryFrom(version, { limit, usage, stat }, hostTotalBytes);
}
