// Metric and check declarations of the postgres probe. Names follow postgres_exporter's
// (pg_up, pg_settings_max_connections, pg_stat_activity_count{state}, pg_replication_lag_seconds,
// pg_stat_replication_*) with the vigil_postgres_ prefix; every series has a `target` label.
import { gauge } from '../../metrics/family.ts';
import type { CheckDecl } from '../types.ts';

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
export const connections = gauge('vigil_postgres_connections', 'Client backends by state (active, idle, idle in transaction…), from pg_stat_activity.', ['target', 'state']);
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

export const POSTGRES_METRICS = [
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
] as const;

export const reachable: CheckDecl = Object.freeze({
  id: 'postgres:reachable',
  componentType: 'datastore',
  unit: 'ms',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: 'The server answers the probe query over the persistent connection; observedValue is the round trip in ms',
});

export const connectionsCheck: CheckDecl = Object.freeze({
  id: 'postgres:connections',
  componentType: 'datastore',
  unit: 'percent',
  playbook: 'Database Connection Pool Exhausted',
  failSeverity: 'SEV2',
  description: 'Client connections in use over max_connections minus the reserved slots',
});

export const replicationLagCheck: CheckDecl = Object.freeze({
  id: 'postgres:replication_lag',
  componentType: 'datastore',
  unit: 's',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: 'Replication lag in seconds: a standby reports its own, a primary one per connected standby',
});

export const oldestTransactionCheck: CheckDecl = Object.freeze({
  id: 'postgres:oldest_transaction',
  componentType: 'datastore',
  unit: 's',
  playbook: 'Database Down',
  failSeverity: 'SEV3',
  description: 'Age of the oldest open transaction (holds back vacuum, often holds locks)',
});

export const lockWaitsCheck: CheckDecl = Object.freeze({
  id: 'postgres:lock_waits',
  componentType: 'datastore',
  unit: 'locks',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV3',
  description: 'Lock requests waiting to be granted (blocked sessions)',
});

export const POSTGRES_CHECKS = [reachable, connectionsCheck, replicationLagCheck, oldestTransactionCheck, lockWaitsCheck] as const;
