// The disk probe kind's facts: metrics (labels as node_exporter's filesystem collector) and
// checks with their default ladders (runbook "Disk Space Full": 70/85/95 % used).
import { gauge } from '../../metrics/family.ts';
import { defineCheck } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';

const LABELS = ['device', 'fstype', 'mountpoint'] as const;

export const filesystemSize = gauge('vigil_filesystem_size_bytes', 'Filesystem size in bytes.', LABELS);
export const filesystemAvail = gauge('vigil_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', LABELS);
export const filesystemFree = gauge('vigil_filesystem_free_bytes', 'Filesystem free space in bytes.', LABELS);
export const filesystemFiles = gauge('vigil_filesystem_files', 'Filesystem total file nodes.', LABELS);
export const filesystemFilesFree = gauge('vigil_filesystem_files_free', 'Filesystem total free file nodes.', LABELS);
export const filesystemReadonly = gauge('vigil_filesystem_readonly', 'Filesystem read-only status (1 when mounted ro).', LABELS);
export const filesystemDeviceError = gauge('vigil_filesystem_device_error', 'Whether statfs failed or timed out for this filesystem.', LABELS);
export const filesystemTimeToFull = gauge(
  'vigil_filesystem_time_to_full_seconds',
  'Seconds until available space reaches 0 at the linear trend of the time_to_full_window; only while filling steadily (enough samples, R² high enough).',
  LABELS,
);

const DISK_METRICS = [
  filesystemSize,
  filesystemAvail,
  filesystemFree,
  filesystemFiles,
  filesystemFilesFree,
  filesystemReadonly,
  filesystemDeviceError,
  filesystemTimeToFull,
] as const;

export const diskUtilization = defineCheck({
  id: 'disk:utilization',
  componentType: 'system',
  component: 'each mount point',
  unit: 'percent',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description: '% of space used, as `df` computes it: used / (used + available)',
  ladder: {
    config: 'thresholds',
    direction: 'above',
    values: 'percent',
    measures: 'Space used, percent',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV4', default: 70 },
      { key: 'high', status: 'warn', severity: 'SEV3', default: 85 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 95 },
    ],
  },
});

export const diskInodes = defineCheck({
  id: 'disk:inodes',
  componentType: 'system',
  component: 'each mount point',
  unit: 'percent',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description: '% of inodes used (skipped when the filesystem reports none)',
  ladder: {
    config: 'inode_thresholds',
    direction: 'above',
    values: 'percent',
    measures: 'Inodes used, percent',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 85 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 95 },
    ],
  },
});

export const diskWritable = defineCheck({
  id: 'disk:writable',
  componentType: 'system',
  component: 'each mount point',
  unit: 'boolean',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description: 'fails when a mount that was read-write is now read-only (`errors=remount-ro`)',
});

// node-mixin's NodeFilesystemSpaceFillingUp: warning when full within 24 h, critical within 4 h.
export const diskTimeToFull = defineCheck({
  id: 'disk:time_to_full',
  componentType: 'system',
  component: 'each mount point',
  unit: 's',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description:
    'seconds until full at the linear trend of available space over `time_to_full_window`; judged only while filling with ≥ `time_to_full_min_samples` samples and R² ≥ `time_to_full_min_r2`, else passes without a value',
  ladder: {
    config: 'time_to_full_thresholds',
    direction: 'below',
    values: 'non-negative',
    measures: 'Time until full, seconds',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 86_400 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 14_400 },
    ],
  },
});

export const DISK = defineMetadata({
  key: 'disk',
  description: 'Space, inodes and read-only remounts of the host filesystems (statfs of every real mount)',
  env: [],
  metrics: DISK_METRICS,
  checks: [diskUtilization, diskInodes, diskWritable, diskTimeToFull],
});
