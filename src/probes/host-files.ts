// Shared by the host probes (disk, memory, cpu): reading /proc, /sys and cgroup files without
// blocking the event loop.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

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
