// The persistent pg.Client of one target and the one query a run sends.
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Attributes } from '@opentelemetry/api';
import { raceDeadline } from '../../deadline.ts';
import { traced } from '../../telemetry/spans.ts';
import { resolvePassword, type Connector } from '../connection.ts';
import { readTlsFiles } from '../secret-file.ts';
import type { PostgresOptions } from './config.ts';

// Loaded on first connect: an agent without PostgreSQL targets does not carry the driver.
const require = createRequire(import.meta.url);
let driver: typeof pg | undefined;
const pgDriver = (): typeof pg => (driver ??= require('pg') as typeof pg);

/** Span attributes of every call to this target: never the URL or the user's secrets. */
export function spanAttributes(o: PostgresOptions): Attributes {
  return {
    'db.system.name': 'postgresql',
    'db.namespace': o.database,
    'server.address': o.host,
    'server.port': o.port,
    'vigil.target': o.target,
  };
}

/**
 * pg's TLS options for the resolved sslmode, the `tls:` files read now (at every connect, so
 * rotated certificates are used). A client certificate is sent in every mode that encrypts.
 */
export async function sslConfig(o: PostgresOptions): Promise<false | ConnectionOptions> {
  if (o.sslMode === 'disable') return false;
  // require verifies nothing: its CA is not even read.
  if (o.sslMode === 'require') return { ...(o.tls ? await readTlsFiles({ ...o.tls, caFile: undefined }) : {}), rejectUnauthorized: false };
  const files = o.tls ? await readTlsFiles(o.tls) : {};
  // verify-ca: the chain is checked, the host name is not (libpq's meaning).
  if (o.sslMode === 'verify-ca') return { ...files, checkServerIdentity: () => undefined };
  const serverName = o.tls?.serverName;
  if (serverName === undefined) return files;
  // pg sets SNI to the URL's host itself; the certificate is checked against server_name here.
  return { ...files, servername: serverName, checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert) };
}

/**
 * Opens pg.Clients for one target. `onLost` is called when the driver reports the socket dead
 * between or during queries, so the probe reconnects at its next run.
 */
export function postgresConnector(o: PostgresOptions, onLost: (client: pg.Client, why: string) => void): Connector<pg.Client> {
  return {
    async open() {
      const client = new (pgDriver().Client)({
        host: o.host,
        port: o.port,
        user: o.user,
        database: o.database,
        password: await resolvePassword({ password: o.password, passwordFile: o.passwordFile, urlPassword: o.urlPassword }),
        ssl: await sslConfig(o),
        application_name: o.applicationName,
        connectionTimeoutMillis: o.connectTimeoutMs,
        statement_timeout: o.statementTimeoutMs,
        query_timeout: o.queryTimeoutMs,
        keepAlive: true,
      });
      client.on('error', (err) => onLost(client, err.message));
      client.on('end', () => onLost(client, 'connection closed by the server'));
      try {
        await traced('connect', spanAttributes(o), () => client.connect());
      } catch (err) {
        await closeClient(client);
        throw err;
      }
      return client;
    },
    close: closeClient,
    isServerError,
  };
}

/**
 * end() says goodbye and waits for the server to close the socket; a server that stopped
 * answering never does, so after a second the socket is simply destroyed.
 */
async function closeClient(client: pg.Client): Promise<void> {
  try {
    await raceDeadline(client.end(), 1000, undefined, 'closing the connection');
  } catch {
    client.connection.stream.destroy();
  }
}

/** A PostgreSQL error reply (has a SQLSTATE): the connection itself is fine. */
export function isServerError(err: unknown): boolean {
  return err instanceof pgDriver().DatabaseError;
}

/**
 * Everything one run measures, in one statement and one round trip. Ages are taken against
 * clock_timestamp(), not now(): now() is when this statement began, and a transaction that
 * started since would get a negative age. Clamped at 0 for clock skew too.
 */
export const PROBE_QUERY = `SELECT
  current_setting('server_version') AS version,
  current_setting('server_version_num')::int AS version_num,
  pg_is_in_recovery() AS in_recovery,
  current_setting('max_connections')::int AS max_connections,
  current_setting('superuser_reserved_connections')::int
    + coalesce(current_setting('reserved_connections', true), '0')::int AS reserved_connections,
  (SELECT coalesce(json_object_agg(state, n), '{}')
     FROM (SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n
             FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1) s) AS connections,
  CASE WHEN pg_is_in_recovery() THEN
    CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8
         ELSE greatest(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)::float8 END
  END AS replication_lag,
  (SELECT coalesce(json_agg(json_build_object(
            'name', coalesce(nullif(application_name, ''), client_addr::text, pid::text),
            'address', coalesce(client_addr::text, 'local'),
            'replay_lag', extract(epoch FROM replay_lag)::float8,
            'lag_bytes', pg_wal_lsn_diff(
               CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
               replay_lsn)::float8)
          ORDER BY application_name, client_addr), '[]')
     FROM pg_stat_replication) AS standbys,
  (SELECT greatest(coalesce(extract(epoch FROM clock_timestamp() - min(xact_start)), 0), 0)::float8
     FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()) AS oldest_transaction,
  (SELECT count(*)::int FROM pg_locks WHERE NOT granted) AS lock_waits,
  (SELECT coalesce(json_agg(json_build_object(
            'name', slot_name,
            'type', slot_type,
            'active', active,
            -- Through to_jsonb: the columns exist from PostgreSQL 13, and older servers read null.
            'wal_status', to_jsonb(s) ->> 'wal_status',
            'safe_wal_size', (to_jsonb(s) ->> 'safe_wal_size')::float8,
            'retained_bytes', pg_wal_lsn_diff(
               CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) ELSE pg_current_wal_lsn() END,
               restart_lsn)::float8)
          ORDER BY slot_name), '[]')
     FROM pg_replication_slots s) AS slots,
  (SELECT coalesce(json_agg(json_build_object('name', datname, 'xid_age', age(datfrozenxid), 'mxid_age', mxid_age(datminmxid)) ORDER BY datname), '[]')
     FROM pg_database) AS databases,
  current_setting('archive_mode') AS archive_mode,
  (SELECT json_build_object(
            'archived_count', archived_count,
            'failed_count', failed_count,
            'last_archived_wal', last_archived_wal,
            'last_archived_age', extract(epoch FROM clock_timestamp() - last_archived_time)::float8,
            'last_failed_wal', last_failed_wal,
            'last_failed_age', extract(epoch FROM clock_timestamp() - last_failed_time)::float8,
            -- As a byte position, not pg_walfile_name(): at a segment boundary (just after
            -- pg_switch_wal) that names the previous, complete segment.
            'current_lsn', CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 END,
            'segment_bytes', pg_size_bytes(current_setting('wal_segment_size')))
     FROM pg_stat_archiver) AS archiver,
  -- Whether this standby is meant to stream: primary_conninfo set (a setting from PostgreSQL 12,
  -- readable with pg_read_all_settings; unknown otherwise, taken as yes). The conninfo itself
  -- may hold a password and is never read back.
  CASE WHEN pg_is_in_recovery() THEN
    CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE') THEN coalesce(current_setting('primary_conninfo', true), 'unknown') <> '' ELSE true END
  END AS streaming_configured,
  (SELECT json_build_object('status', status, 'last_message_age', extract(epoch FROM clock_timestamp() - last_msg_receipt_time)::float8)
     FROM pg_stat_wal_receiver) AS wal_receiver`;

export interface StandbyRow {
  readonly name: string;
  readonly address: string;
  readonly replay_lag: number | null;
  readonly lag_bytes: number | null;
}

export interface SlotRow {
  readonly name: string;
  readonly type: string;
  readonly active: boolean;
  /** reserved, extended, unreserved, lost; null before PostgreSQL 13. */
  readonly wal_status: string | null;
  /** Bytes that can still be written before the slot is lost; null without max_slot_wal_keep_size or before 13. */
  readonly safe_wal_size: number | null;
  /** Current LSN − restart_lsn; null when the slot has none (never reserved, or lost). */
  readonly retained_bytes: number | null;
}

export interface DatabaseRow {
  readonly name: string;
  readonly xid_age: number;
  readonly mxid_age: number;
}

export interface ArchiverRow {
  readonly archived_count: number;
  readonly failed_count: number;
  readonly last_archived_wal: string | null;
  /** Seconds; null when nothing was archived since the statistics were reset. May be < 0 by clock skew. */
  readonly last_archived_age: number | null;
  readonly last_failed_wal: string | null;
  readonly last_failed_age: number | null;
  /** The current WAL write position, bytes; null on a standby. */
  readonly current_lsn: number | null;
  readonly segment_bytes: number;
}

export interface WalReceiverRow {
  /** streaming, starting, waiting, restarting, stopping; null without pg_read_all_stats. */
  readonly status: string | null;
  readonly last_message_age: number | null;
}

export interface ProbeRow {
  readonly version: string;
  readonly version_num: number;
  readonly in_recovery: boolean;
  readonly max_connections: number;
  readonly reserved_connections: number;
  readonly connections: Record<string, number>;
  readonly replication_lag: number | null;
  readonly standbys: StandbyRow[];
  readonly oldest_transaction: number;
  readonly lock_waits: number;
  readonly slots: SlotRow[];
  readonly databases: DatabaseRow[];
  /** off, on, always. */
  readonly archive_mode: string;
  readonly archiver: ArchiverRow;
  /** Standby only: whether primary_conninfo is set (true when the server cannot say). */
  readonly streaming_configured: boolean | null;
  /** Standby only: null when no WAL receiver runs. */
  readonly wal_receiver: WalReceiverRow | null;
}

/**
 * Complete WAL segments written and not yet archived: those between the last archived one
 * (its file name: timeline, log, segment, 8 hex digits each) and the one the write position is
 * in. Null when that cannot be told (a standby, a .history file last, nothing archived yet).
 */
export function segmentsWaiting(lastArchived: string | null, currentLsn: number | null, segmentBytes: number): number | null {
  const m = lastArchived === null ? null : /^[0-9A-F]{8}([0-9A-F]{8})([0-9A-F]{8})/.exec(lastArchived);
  if (!m || currentLsn === null || segmentBytes <= 0) return null;
  const last = parseInt(m[1] as string, 16) * Math.floor(0x1_0000_0000 / segmentBytes) + parseInt(m[2] as string, 16);
  return Math.max(0, Math.floor(currentLsn / segmentBytes) - last - 1);
}

export async function runProbeQuery(client: pg.Client, o: PostgresOptions): Promise<ProbeRow> {
  const result = await traced('SELECT', { ...spanAttributes(o), 'db.operation.name': 'SELECT' }, () => client.query<ProbeRow>(PROBE_QUERY));
  const row = result.rows[0];
  if (!row) throw new Error('the probe query returned no row');
  return row;
}
