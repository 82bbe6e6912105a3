// statfs(2) through libuv's thread pool (16 threads, raised from libuv's 4 by src/threadpool.ts;
// shared with fs and dns): a hung NFS mount holds a thread until the server answers, so each path
// gets at most one call at a time.
import { statfs } from 'node:fs/promises';
import { OneCallPerKey } from '../../deadline.ts';

/** The fields we use of `fs.StatFs<bigint>`. */
export interface FsStats {
  readonly bsize: bigint;
  readonly blocks: bigint;
  readonly bfree: bigint;
  readonly bavail: bigint;
  readonly files: bigint;
  readonly ffree: bigint;
}

export type StatFs = (path: string) => Promise<FsStats>;

export const nodeStatFs: StatFs = (path) => statfs(path, { bigint: true });

export interface FsUsage {
  readonly sizeBytes: number;
  readonly freeBytes: number;
  /** Free to unprivileged users (free minus the root reserve). */
  readonly availBytes: number;
  readonly files: number;
  readonly filesFree: number;
}

export function usageOf(s: FsStats): FsUsage {
  return {
    sizeBytes: Number(s.blocks * s.bsize),
    freeBytes: Number(s.bfree * s.bsize),
    availBytes: Number(s.bavail * s.bsize),
    files: Number(s.files),
    filesFree: Number(s.ffree),
  };
}

/** df's Use%: used / (used + avail), the root reserve not counted as space one can use. */
export function usedPercent(u: FsUsage): number | null {
  const used = u.sizeBytes - u.freeBytes;
  return used + u.availBytes > 0 ? (used / (used + u.availBytes)) * 100 : null;
}

/** df -i's IUse%; null when the filesystem has no fixed inode count (btrfs reports 0). */
export function inodesUsedPercent(u: FsUsage): number | null {
  return u.files > 0 ? ((u.files - u.filesFree) / u.files) * 100 : null;
}

/** Deduplicates statfs calls per path across runs; the call itself cannot be cancelled. */
export class StatFsTracker {
  private readonly statfs: StatFs;
  private readonly calls = new OneCallPerKey();

  constructor(statfs: StatFs) {
    this.statfs = statfs;
  }

  /** Rejects with PendingError (no new call), TimeoutError, the fs error, or the signal's reason. */
  stat(path: string, timeoutMs: number, signal: AbortSignal): Promise<FsStats> {
    return this.calls.run(path, () => this.statfs(path), timeoutMs, signal, 'statfs');
  }
}
