// The `probes.disk` section: which mounts to watch and the space / inode thresholds.
import { z } from 'zod';
import { commonProbeFields, duration, innerTimeoutMs, type ProbeSchedule } from '../../config/common.ts';
import { formatDuration, parseDuration } from '../../config/duration.ts';
import type { Thresholds } from '../../checks/levels.ts';
import type { ReportProblem } from '../kind.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { reason } from '../../text.ts';
import { diskInodes, diskTimeToFull, diskUtilization } from './metadata.ts';
import type { KindConfig } from '../kind.ts';
import { singleInstance } from '../../config/probe-config.ts';
import { DISK } from './metadata.ts';

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

// 6 h as the node-mixin; 20 samples are 5 minutes at the default 15 s interval. A sawtooth of
// more than one tooth in the window fits with R² ≤ 0.25; a steady fill with ≥ 0.99.
export const TIME_TO_FULL_DEFAULTS = Object.freeze({ windowMs: 6 * 3_600_000, minSamples: 20, minR2: 0.9 });

export const diskSchema = z.strictObject({
  ...commonProbeFields,
  mount_points_exclude: regex.optional().describe(`Mount points to skip (regex; replaces the default, after node_exporter's: ${DEFAULT_MOUNT_POINTS_EXCLUDE})`),
  mount_points_include: regex.optional().describe('When set, only mount points matching this regex are watched'),
  fs_types_exclude: regex.optional().describe(`Filesystem types to skip (regex; replaces the default, after node_exporter's: ${DEFAULT_FS_TYPES_EXCLUDE})`),
  statfs_timeout: duration.optional().describe("Per-mount statfs deadline; default 80 % of the probe's timeout"),
  thresholds: ladderField(diskUtilization),
  inode_thresholds: ladderField(diskInodes),
  time_to_full_window: duration
    .optional()
    .describe(
      `Samples of available space the time-to-full line is fitted over (default ${formatDuration(TIME_TO_FULL_DEFAULTS.windowMs)}, as the node-mixin's predict_linear)`,
    ),
  time_to_full_min_samples: z
    .number({ error: 'must be an integer ≥ 2' })
    .int({ error: 'must be an integer ≥ 2' })
    .min(2, { error: 'must be an integer ≥ 2 (a line needs two points)' })
    .optional()
    .describe(`Fewer samples in the window: no estimate (default ${TIME_TO_FULL_DEFAULTS.minSamples}, at least 2)`),
  time_to_full_min_r2: z
    .number({ error: 'must be a number from 0 to 1' })
    .min(0, { error: 'must be a number from 0 to 1' })
    .max(1, { error: 'must be a number from 0 to 1' })
    .optional()
    .describe(`A worse fit (R², 0–1): no estimate; keeps a sawtooth such as log rotation from reading as a fill (default ${TIME_TO_FULL_DEFAULTS.minR2})`),
  time_to_full_thresholds: ladderField(diskTimeToFull),
});

export type DiskSection = z.infer<typeof diskSchema>;

export interface DiskOptions {
  readonly mountPointsExclude: RegExp;
  readonly mountPointsInclude: RegExp | null;
  readonly fsTypesExclude: RegExp;
  readonly statfsTimeoutMs: number;
  readonly thresholds: Thresholds;
  readonly inodeThresholds: Thresholds;
  readonly timeToFull: {
    readonly windowMs: number;
    readonly minSamples: number;
    readonly minR2: number;
    readonly thresholds: Thresholds;
  };
}

export function resolveDiskOptions(section: DiskSection | undefined, schedule: ProbeSchedule, report: ReportProblem): DiskOptions {
  const s = section ?? {};
  const statfsTimeoutMs = innerTimeoutMs(s.statfs_timeout, 'statfs_timeout', schedule, report);
  return Object.freeze({
    mountPointsExclude: new RegExp(s.mount_points_exclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE),
    mountPointsInclude: s.mount_points_include !== undefined ? new RegExp(s.mount_points_include) : null,
    fsTypesExclude: new RegExp(s.fs_types_exclude ?? DEFAULT_FS_TYPES_EXCLUDE),
    statfsTimeoutMs,
    thresholds: resolveLadder(diskUtilization, s.thresholds),
    inodeThresholds: resolveLadder(diskInodes, s.inode_thresholds),
    timeToFull: Object.freeze({
      windowMs: s.time_to_full_window !== undefined ? (parseDuration(s.time_to_full_window) as number) : TIME_TO_FULL_DEFAULTS.windowMs,
      minSamples: s.time_to_full_min_samples ?? TIME_TO_FULL_DEFAULTS.minSamples,
      minR2: s.time_to_full_min_r2 ?? TIME_TO_FULL_DEFAULTS.minR2,
      thresholds: resolveLadder(diskTimeToFull, s.time_to_full_thresholds),
    }),
  });
}

/** The `probes.disk` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const diskConfig: KindConfig<DiskSection, DiskOptions> = { schema: diskSchema, resolve: singleInstance(DISK.key, resolveDiskOptions) };
