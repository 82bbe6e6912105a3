// The backups probe kind's facts: per rule (a glob of backup files), the newest file's age and
// size and how many are kept, with the rule's own limits as series so alerts need no copy of
// the config. Playbook "Backup Verification" (Athena runbook, Wednesdays).
import { gauge } from '../../metrics/family.ts';
import { defineCheck } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';

const LABELS = ['rule'] as const;

export const backupNewestAge = gauge(
  'vigil_backup_newest_age_seconds',
  "Age of the rule's newest matching file (now − mtime) in seconds; absent when none matches.",
  LABELS,
);
export const backupNewestMtime = gauge(
  'vigil_backup_newest_mtime_seconds',
  "Modification time of the rule's newest matching file, seconds since the epoch (stat -c %Y).",
  LABELS,
);
export const backupNewestSize = gauge('vigil_backup_newest_size_bytes', "Size of the rule's newest matching file in bytes (stat -c %s).", LABELS);
export const backupFiles = gauge('vigil_backup_files', 'Regular files matching the rule (symlinks leaving the host root not counted).', LABELS);
export const backupMaxAge = gauge('vigil_backup_max_age_seconds', "The rule's max_age in seconds.", LABELS);
export const backupMinSize = gauge('vigil_backup_min_size_bytes', "The rule's min_size in bytes.", LABELS);
export const backupMinFiles = gauge('vigil_backup_min_files', "The rule's min_count (retention); absent when not set.", LABELS);

export const backupFreshness = defineCheck({
  id: 'backup:freshness',
  componentType: 'component',
  component: 'each rule (its `name`)',
  unit: 's',
  playbook: 'Backup Verification',
  failSeverity: 'SEV2',
  description:
    "age of the rule's newest matching file; fails when none matches, when it is older than `max_age` or smaller than `min_size`, warns when fewer than `min_count` files are kept",
  judgedBy: 'fail: missing, age > `max_age`, size < `min_size` (SEV2); warn: files < `min_count` (SEV3)',
  severities: ['SEV3', 'SEV2'],
});

export const BACKUPS = defineMetadata({
  key: 'backups',
  checkPrefix: 'backup',
  description: 'Freshness, size and retention of backup files on the host (globs under the host root)',
  env: [],
  metrics: [backupNewestAge, backupNewestMtime, backupNewestSize, backupFiles, backupMaxAge, backupMinSize, backupMinFiles],
  checks: [backupFreshness],
});
