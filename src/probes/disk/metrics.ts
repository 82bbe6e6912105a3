// Metric and check declarations of the disk probe (labels as node_exporter's filesystem collector).
import { gauge } from '../../metrics/family.ts';
import type { CheckDecl } from '../types.ts';

const LABELS = ['device', 'fstype', 'mountpoint'] as const;

export const filesystemSize = gauge('vigil_filesystem_size_bytes', 'Filesystem size in bytes.', LABELS);
export const filesystemAvail = gauge('vigil_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', LABELS);
export const filesystemFree = gauge('vigil_filesystem_free_bytes', 'Filesystem free space in bytes.', LABELS);
export const filesystemFiles = gauge('vigil_filesystem_files', 'Filesystem total file nodes.', LABELS);
export const filesystemFilesFree = gauge('vigil_filesystem_files_free', 'Filesystem total free file nodes.', LABELS);
export const filesystemReadonly = gauge('vigil_filesystem_readonly', 'Filesystem read-only status (1 when mounted ro).', LABELS);
export const filesystemDeviceError = gauge('vigil_filesystem_device_error', 'Whether statfs failed or timed out for this filesystem.', LABELS);

export const DISK_METRICS = [
  filesystemSize,
  filesystemAvail,
  filesystemFree,
  filesystemFiles,
  filesystemFilesFree,
  filesystemReadonly,
  filesystemDeviceError,
] as const;

export const diskUtilization: CheckDecl = Object.freeze({
  id: 'disk:utilization',
  componentType: 'system',
  unit: 'percent',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description: 'Space used on the filesystem, as df prints Use%',
});

export const diskInodes: CheckDecl = Object.freeze({
  id: 'disk:inodes',
  componentType: 'system',
  unit: 'percent',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description: 'File nodes (inodes) used on the filesystem',
});

export const diskWritable: CheckDecl = Object.freeze({
  id: 'disk:writable',
  componentType: 'system',
  unit: 'boolean',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description: 'A filesystem mounted read-write has not been remounted read-only (I/O errors)',
});

export const DISK_CHECKS = [diskUtilization, diskInodes, diskWritable] as const;
