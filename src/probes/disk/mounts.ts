// The mount table, as /proc/<pid>/mounts prints it (fstab format, octal-escaped fields).
import { join } from 'node:path';
import { readText } from '../host-files.ts';
import { reason } from '../../text.ts';

export interface Mount {
  readonly device: string;
  /** As in the mount table, i.e. in the host's namespace, not prefixed by the rootfs. */
  readonly mountPoint: string;
  readonly fsType: string;
  readonly readOnly: boolean;
}

export interface MountFilter {
  readonly mountPointsExclude: RegExp;
  readonly mountPointsInclude: RegExp | null;
  readonly fsTypesExclude: RegExp;
}

/** `\040` → space, `\011` tab, `\012` newline, `\134` backslash. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses a mounts file; a mount point listed twice (mounted over) keeps its last entry. */
export function parseMounts(text: string): Mount[] {
  const byMountPoint = new Map<string, Mount>();
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType, options] = line.trim().split(/\s+/);
    if (!device || !mountPoint || !fsType || options === undefined) continue;
    const mount: Mount = {
      device: unescapeMountField(device),
      mountPoint: unescapeMountField(mountPoint),
      fsType: unescapeMountField(fsType),
      readOnly: options.split(',').includes('ro'),
    };
    byMountPoint.delete(mount.mountPoint); // keep table order of the entry that wins
    byMountPoint.set(mount.mountPoint, mount);
  }
  return [...byMountPoint.values()];
}

export function selectMounts(mounts: readonly Mount[], filter: MountFilter): Mount[] {
  return mounts.filter(
    (m) =>
      !filter.mountPointsExclude.test(m.mountPoint) &&
      !filter.fsTypesExclude.test(m.fsType) &&
      (filter.mountPointsInclude === null || filter.mountPointsInclude.test(m.mountPoint)),
  );
}

/**
 * PID 1's table is the host's when the agent shares the host PID namespace (DaemonSet) and
 * the container's otherwise; /proc/1 may be unreadable without privileges, so fall back to ours.
 */
export async function readMounts(proc: string, signal: AbortSignal): Promise<{ mounts: Mount[]; source: string }> {
  const primary = join(proc, '1/mounts');
  try {
    return { mounts: parseMounts(await readText(primary, signal)), source: primary };
  } catch (err) {
    signal.throwIfAborted();
    const fallback = join(proc, 'self/mounts');
    try {
      return { mounts: parseMounts(await readText(fallback, signal)), source: fallback };
    } catch (fallbackErr) {
      signal.throwIfAborted();
      throw new Error(`cannot read the mount table: ${reason(err)}; ${reason(fallbackErr)}`, { cause: fallbackErr });
    }
  }
}
