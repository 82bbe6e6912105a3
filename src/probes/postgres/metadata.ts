// The postgres probe kind's facts. Metric names follow postgres_exporter's
// (pg_up, pg_settings_max_connections, pg_stat_activity_count{state}, pg_replication_lag_seconds,
// pg_stat_replication_*, pg_replication_slot_*, pg_stat_archiver_*) with the vigil_postgres_
// prefix; every series has a `target` label.
import { counter, gauge } from '../../metrics/family.ts';
import { defineCheck, type LadderSpec, type LevelSpec } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';
import { TLS_CERTIFICATE_METRICS, tlsExpiry } from '../certificates/metadata.ts';

const T = ['target'] as const;
const STANDBY = ['target', 'standby'] as const;

export const up = gauge('vigil_postgres_up', 'Whether the last query to the server succeeded (1) or not (0).', T);
export const roundTrip = gauge('vigil_postgres_round_trip_seconds', 'Round-trip time of the probe query of the last run, seconds.', T);
export const versionInfo = gauge('vigil_postgres_version_info', 'Server version (label `version`); always 1.', ['target', 'version', 'version_num']);
export const isReplica = gauge('vigil_postgres_replication_is_replica', 'Whether the server is in recovery (a standby): 1, or a primary: 0.', T);
export const maxConnections = gauge('vigil_postgres_max_connections', 'The max_connections setting.', T);
export const reservedConnections = gauge(
  'vigil_postgres_reserved_connections',
  'Connection slots reserved for superusers and pg_use_reserved_connections (superuser_reserved_connections + reserved_connections).',
  T,
);
export const connections = gauge('vigil_postgres_connections', 'Client backends by state (active, idle, idle in transaction…), from pg_stat_activity.', [
  'target',
  'state',
]);
export const connectionsUsedRatio = gauge(
  'vigil_postgres_connections_used_ratio',
  'Client backends over the slots available to ordinary roles (max_connections minus reserved), 0–1.',
  T,
);
export const replicationLag = gauge(
  'vigil_postgres_replication_lag_seconds',
  'On a standby: seconds since the last replayed transaction while WAL is waiting to be replayed, 0 when replay is caught up.',
  T,
);
export const standbyReplayLag = gauge(
  'vigil_postgres_stat_replication_replay_lag_seconds',
  'On a primary, per standby (application_name or address): replay_lag from pg_stat_replication, seconds.',
  STANDBY,
);
export const standbyLagBytes = gauge(
  'vigil_postgres_stat_replication_lag_bytes',
  'On a primary, per standby: WAL bytes written on the primary and not yet replayed on the standby.',
  STANDBY,
);
export const oldestTransaction = gauge(
  'vigil_postgres_oldest_transaction_age_seconds',
  'Age of the oldest open transaction of a client backend, seconds (0 when none).',
  T,
);
export const lockWaits = gauge('vigil_postgres_lock_waits', 'Lock requests not granted (sessions blocked on a lock), from pg_locks.', T);

const SLOT = ['target', 'slot_name', 'slot_type'] as const;
export const slotRetained = gauge(
  'vigil_postgres_replication_slot_retained_bytes',
  'Per replication slot: WAL bytes the slot keeps on disk (current LSN − restart_lsn); absent while the slot has no restart_lsn (lost).',
  [...SLOT, 'active'],
);
export const slotSafeWalSize = gauge(
  'vigil_postgres_replication_slot_safe_wal_size_bytes',
  'Per replication slot: WAL bytes that can still be written before the slot is lost (safe_wal_size, PostgreSQL 13+); absent without max_slot_wal_keep_size.',
  SLOT,
);
export const slotWalStatus = gauge(
  'vigil_postgres_replication_slot_wal_status',
  'Per replication slot: its wal_status (reserved, extended, unreserved, lost; PostgreSQL 13+) as a label; always 1.',
  ['target', 'slot_name', 'slot_type', 'wal_status'],
);
const DB = ['target', 'datname'] as const;
export const xidAge = gauge('vigil_postgres_database_xid_age', 'Per database: age(datfrozenxid), transactions; writes stop near 2³¹ (wraparound).', DB);
export const mxidAge = gauge('vigil_postgres_database_mxid_age', 'Per database: mxid_age(datminmxid), multixacts; writes stop near 2³¹.', DB);
export const archiverArchived = counter(
  'vigil_postgres_archiver_archived_total',
  'WAL files archived (pg_stat_archiver.archived_count), while archive_mode is on.',
  T,
);
export const archiverFailed = counter(
  'vigil_postgres_archiver_failed_total',
  'Failed attempts to archive a WAL file (pg_stat_archiver.failed_count), while archive_mode is on.',
  T,
);
export const archiverLastArchiveAge = gauge(
  'vigil_postgres_archiver_last_archive_age_seconds',
  'Seconds since the last WAL file was archived, while archive_mode is on; absent when none was since the statistics were reset.',
  T,
);
export const archiverSegmentsWaiting = gauge(
  'vigil_postgres_archiver_segments_waiting',
  'On a primary with archive_mode on: complete WAL segments between the last archived one and the one being written.',
  T,
);
export const walReceiverStreaming = gauge(
  'vigil_postgres_wal_receiver_streaming',
  "On a standby: whether its WAL receiver is streaming from the primary (pg_stat_wal_receiver.status = 'streaming'): 1, or not: 0.",
  T,
);

const POSTGRES_METRICS = [
  up,
  roundTrip,
  versionInfo,
  isReplica,
  maxConnections,
  reservedConnections,
  connections,
  connectionsUsedRatio,
  replicationLag,
  standbyReplayLag,
  standbyLagBytes,
  oldestTransaction,
  lockWaits,
  slotRetained,
  slotSafeWalSize,
  slotWalStatus,
  xidAge,
  mxidAge,
  archiverArchived,
  archiverFailed,
  archiverLastArchiveAge,
  archiverSegmentsWaiting,
  walReceiverStreaming,
] as const;

/** Targets for sidecars, without a config file. */
export const URL_ENV = 'VIGIL_POSTGRES_URL';

const datastore = { componentType: 'datastore', component: 'each PostgreSQL target' } as const;

/** A `thresholds.<key>` ladder; a target's own levels replace the section's, key by key. */
function thresholds(key: string, values: LadderSpec['values'], measures: string, levels: readonly LevelSpec[]): LadderSpec {
  return { config: `thresholds.${key}`, direction: 'above', values, measures, levels };
}

export const reachable = defineCheck({
  ...datastore,
  id: 'postgres:reachable',
  unit: 'ms',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: 'round trip of the probe query, ms; fails when the server cannot be reached, refuses the login or does not answer in time',
});

// Runbooks: "DB connections < 80 % of max" (operations review, section 4); "Database
// Connections 80 % / 90 %" (AENEAS monitoring table).
export const connectionsCheck = defineCheck({
  ...datastore,
  id: 'postgres:connections',
  unit: 'percent',
  playbook: 'Database Connection Pool Exhausted',
  failSeverity: 'SEV2',
  description: '% of client connections in use over `max_connections` minus reserved slots',
  ladder: thresholds('connections', 'percent', 'Connections in use over max_connections minus reserved slots, percent', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 80 },
    { key: 'fail', status: 'fail', severity: 'SEV2', default: 90 },
  ]),
});

// Runbook: "replication lag < 5 s" (operations review, section 4).
export const replicationLagCheck = defineCheck({
  ...datastore,
  id: 'postgres:replication_lag',
  component: 'a replica target; `<primary>/<standby>` on a primary',
  unit: 's',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description:
    "seconds behind: a replica's own lag (0 when everything received is replayed: no false lag on an idle primary), or each standby's `replay_lag`; a replica fails while its WAL receiver is not streaming",
  ladder: thresholds('replication_lag', 'non-negative', 'Replication lag, seconds (replica: its own; primary: each standby)', [
    { key: 'warn', status: 'warn', severity: 'SEV3' },
    { key: 'fail', status: 'fail', severity: 'SEV2', default: 5 },
  ]),
});

// Not in the runbooks: Vigil's defaults. A transaction open for minutes holds back vacuum and
// often holds locks ("clear long-running queries", Database Down playbook).
export const oldestTransactionCheck = defineCheck({
  ...datastore,
  id: 'postgres:oldest_transaction',
  unit: 's',
  playbook: 'Database Down',
  failSeverity: 'SEV3',
  description: 'age of the oldest open transaction, s (holds back vacuum, often holds locks)',
  ladder: thresholds('oldest_transaction', 'non-negative', 'Age of the oldest open transaction, seconds', [
    { key: 'warn', status: 'warn', severity: 'SEV4', default: 300 },
    { key: 'fail', status: 'fail', severity: 'SEV3' },
  ]),
});

export const lockWaitsCheck = defineCheck({
  ...datastore,
  id: 'postgres:lock_waits',
  unit: 'locks',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV3',
  description: 'lock requests waiting (`pg_locks` not granted)',
  ladder: thresholds('lock_waits', 'non-negative', 'Lock requests waiting (not granted)', [
    { key: 'warn', status: 'warn', severity: 'SEV4', default: 5 },
    { key: 'fail', status: 'fail', severity: 'SEV3' },
  ]),
});

// Not in the runbooks: Vigil's defaults. An abandoned slot keeps every WAL segment since it
// was last used, until the disk is full: a classic outage.
export const replicationSlotsCheck = defineCheck({
  ...datastore,
  id: 'postgres:replication_slots',
  component: '`<target>/<slot>`, each replication slot',
  unit: 'bytes',
  playbook: 'Disk Space Full',
  failSeverity: 'SEV2',
  description: 'WAL bytes an inactive slot retains (current LSN − `restart_lsn`); fails when `wal_status` is `unreserved` or `lost` (PostgreSQL 13+)',
  ladder: thresholds('replication_slot_retained', 'non-negative', 'WAL retained by an inactive replication slot, bytes', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 1024 ** 3 },
    { key: 'fail', status: 'fail', severity: 'SEV2' },
  ]),
});

/** Transaction and multixact ids are 32-bit; the server stops assigning them near half the space. */
export const XID_LIMIT = 2 ** 31;

// Not in the runbooks: Vigil's defaults (autovacuum_freeze_max_age is 200 M, under 10 %; at 50 %
// anti-wraparound vacuums are not keeping up). At the limit the server refuses writes.
export const xidAgeCheck = defineCheck({
  ...datastore,
  id: 'postgres:xid_age',
  unit: 'percent',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: '% of the 2³¹ transaction id limit used by the oldest database: the larger of `age(datfrozenxid)` and `mxid_age(datminmxid)`',
  ladder: thresholds('xid_age', 'percent', 'Transaction id age of the oldest database (or its multixact age, the larger) over 2³¹, percent', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 50 },
    { key: 'fail', status: 'fail', severity: 'SEV2', default: 80 },
  ]),
});

// Not in the runbooks: Vigil's default. Judged only while a complete segment waits to be
// archived: an idle primary archives nothing for hours, and that is not a problem.
export const walArchivingCheck = defineCheck({
  ...datastore,
  id: 'postgres:wal_archiving',
  component: 'a target with `archive_mode` on (`always` on a standby)',
  unit: 's',
  playbook: 'Backup Verification',
  failSeverity: 'SEV2',
  description:
    's since the last WAL file was archived, judged while a segment waits; fails on a failed `archive_command` in the interval, or while the last attempt failed',
  ladder: thresholds('wal_archive_age', 'non-negative', 'Seconds since the last WAL file was archived, while a complete segment waits to be archived', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 600 },
    { key: 'fail', status: 'fail', severity: 'SEV2' },
  ]),
});

export const POSTGRES = defineMetadata({
  key: 'postgres',
  description:
    'PostgreSQL servers: reachability, connections, replication lag and slots, transaction id wraparound, WAL archiving, long transactions, lock waits (one persistent connection each)',
  env: [{ name: URL_ENV, help: 'PostgreSQL targets, comma-separated URLs (each named host:port)' }],
  // With TLS, the server's certificate chain is reported as tls:expiry (postgres/<target>).
  metrics: [...POSTGRES_METRICS, ...TLS_CERTIFICATE_METRICS],
  checks: [
    reachable,
    connectionsCheck,
    replicationLagCheck,
    replicationSlotsCheck,
    xidAgeCheck,
    walArchivingCheck,
    oldestTransactionCheck,
    lockWaitsCheck,
    tlsExpiry,
  ],
});
