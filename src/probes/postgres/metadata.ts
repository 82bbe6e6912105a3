// The postgres probe kind's facts. Metric names follow postgres_exporter's
// (pg_up, pg_settings_max_connections, pg_stat_activity_count{state}, pg_replication_lag_seconds,
// pg_stat_replication_*) with the vigil_postgres_ prefix; every series has a `target` label.
import { gauge } from '../../metrics/family.ts';
import { defineCheck, type LadderSpec, type LevelSpec } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';

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
  description: "seconds behind: a replica's own lag (0 when everything received is replayed: no false lag on an idle primary), or each standby's `replay_lag`",
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

export const POSTGRES = defineMetadata({
  key: 'postgres',
  description: 'PostgreSQL servers: reachability, connections, replication lag, long transactions, lock waits (one persistent connection each)',
  env: [{ name: URL_ENV, help: 'PostgreSQL targets, comma-separated URLs (each named host:port)' }],
  metrics: POSTGRES_METRICS,
  checks: [reachable, connectionsCheck, replicationLagCheck, oldestTransactionCheck, lockWaitsCheck],
});
