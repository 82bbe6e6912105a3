// The `probes.disk` section: which mounts to watch and the space / inode thresholds.
import { z } from 'zod';
import { commonProbeFields, duration, type ProbeSchedule } from '../../config/common.ts';
import { formatDuration, parseDuration } from '../../config/duration.ts';
import type { Thresholds } from '../../checks/levels.ts';
import type { ReportProblem } from '../kind.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { reason } from '../../text.ts';
import { diskInodes, diskUtilization } from './metadata.ts';

// Defaults after node_exporter's filesystem collector. `overlay` is deliberately not an
// excluded type: a sidecar's own `/` is overlay; only container runtimes' overlay paths go.
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+|var/lib/kubelet/pods/.+|run/containerd/.+|run/k3s/containerd/.+)($|/)';
export const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs|nsfs|ramfs|fuse\\.lxcfs|fuse\\.gvfsd-fuse)$';

const regex = z.string({ error: 'must be a regular expression' }).superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `must be a regular expression: ${reason(err)}` });
  }
});

export const diskSchema = z.strictObject({
  ...commonProbeFields,
  mount_points_exclude: regex.optional().describe(`Mount points to skip (regex; replaces the default, after node_exporter's: ${DEFAULT_MOUNT_POINTS_EXCLUDE})`),
  mount_points_include: regex.optional().describe('When set, only mount points matching this regex are watched'),
  fs_types_exclude: regex.optional().describe(`Filesystem types to skip (regex; replaces the default, after node_exporter's: ${DEFAULT_FS_TYPES_EXCLUDE})`),
  statfs_timeout: duration.optional().describe("Per-mount statfs deadline; default 80 % of the probe's timeout"),
  thresholds: ladderField(diskUtilization),
  inode_thresholds: ladderField(diskInodes),
});

export type DiskSection = z.infer<typeof diskSchema>;

export interface DiskOptions {
  readonly mountPointsExclude: RegExp;
  readonly mountPointsInclude: RegExp | null;
  readonly fsTypesExclude: RegExp;
  readonly statfsTimeoutMs: number;
  readonly thresholds: Thresholds;
  readonly inodeThresholds: Thresholds;
}

export function resolveDiskOptions(section: DiskSection | undefined, schedule: ProbeSchedule, report: ReportProblem): DiskOptions {
  const s = section ?? {};
  // Shorter than the run's deadline, so a hung mount fails its own checks before the runner
  // aborts the whole run (which would fail every mount).
  let statfsTimeoutMs = Math.max(1, Math.round(schedule.timeoutMs * 0.8));
  if (s.statfs_timeout !== undefined) {
    statfsTimeoutMs = parseDuration(s.statfs_timeout) as number;
    if (statfsTimeoutMs >= schedule.timeoutMs) {
      report('statfs_timeout', `must be shorter than the probe's timeout (${formatDuration(schedule.timeoutMs)}), or the whole run times out`);
    }
  }
  return Object.freeze({
    mountPointsExclude: new RegExp(s.mount_points_exclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE),
    mountPointsInclude: s.mount_points_include !== undefined ? new RegExp(s.mount_points_include) : null,
    fsTypesExclude: new RegExp(s.fs_types_exclude ?? DEFAULT_FS_TYPES_EXCLUDE),
    statfsTimeoutMs,
    thresholds: resolveLadder(diskUtilization, s.thresholds),
    inodeThresholds: resolveLadder(diskInodes, s.inode_thresholds),
  });
}
