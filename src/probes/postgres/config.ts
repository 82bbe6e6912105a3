// The `probes.postgres` section: any number of servers, each one persistent connection.
import { z } from 'zod';
import { duration, type ProbeSchedule } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { resolveTls, tlsBlock, type TlsInput, type TlsSettings } from '../../config/tls.ts';
import {
  connectionsCheck,
  lockWaitsCheck,
  oldestTransactionCheck,
  POSTGRES,
  replicationLagCheck,
  replicationSlotsCheck,
  URL_ENV,
  walArchivingCheck,
  xidAgeCheck,
} from './metadata.ts';
import { tlsExpiry } from '../certificates/metadata.ts';
import type { ReportDeprecated, ReportProblem } from '../kind.ts';
import { connectionFields, decodeUrlPart, hostPortName, parseUrl, resolveTimeouts } from '../target-config.ts';
import { redactUrl } from '../../redact.ts';
import { targetFields, targetInstances, targetsSection } from '../targets.ts';
import type { KindConfig } from '../kind.ts';

export const DEFAULT_PORT = 5432;

const thresholdsSchema = z
  .strictObject({
    connections: ladderField(connectionsCheck),
    replication_lag: ladderField(replicationLagCheck),
    replication_slot_retained: ladderField(replicationSlotsCheck),
    xid_age: ladderField(xidAgeCheck),
    wal_archive_age: ladderField(walArchivingCheck),
    oldest_transaction: ladderField(oldestTransactionCheck),
    lock_waits: ladderField(lockWaitsCheck),
  })
  .describe("Check thresholds; a target's own replace the section's, key by key");

const targetSchema = z.strictObject({
  ...targetFields,
  url: z
    .string({ error: 'must be a postgres:// URL' })
    .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// URL' })
    .describe('postgres://user[:password]@host[:port]/database[?sslmode=disable|require|verify-ca|verify-full]'),
  ...connectionFields,
  statement_timeout: duration.optional().describe("Server-side statement_timeout of Vigil's session; default 80 % of the probe's timeout"),
  tls: tlsBlock
    .optional()
    .describe(
      "TLS files and options. The URL's sslmode, when given, says whether to encrypt and what to verify; without it this block means verify-full (require with insecure_skip_verify). insecure_skip_verify wins over verify-ca / verify-full; with ca_file, require verifies the chain as libpq does (verify-ca); sslmode=disable with this block is an error",
    ),
  ssl_ca_file: z
    .string({ error: 'must be a file path' })
    .optional()
    .meta({ deprecated: true })
    .describe(
      'Deprecated (removed in the next release): use tls.ca_file. CA certificate (PEM) for sslmode verify-ca / verify-full; does not turn TLS on by itself',
    ),
  thresholds: thresholdsSchema.optional(),
  expiry_thresholds: ladderField(tlsExpiry),
});

export const postgresSchema = targetsSection(targetSchema, { thresholds: thresholdsSchema.optional(), expiry_thresholds: ladderField(tlsExpiry) }).describe(
  `PostgreSQL servers (env ${URL_ENV}: comma-separated URLs)`,
);

export type PostgresSection = z.infer<typeof postgresSchema>;
type PostgresTarget = z.infer<typeof targetSchema>;

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface PostgresOptions {
  /** The target's name (metric label `target`, check component). */
  readonly target: string;
  /** The URL with the password masked: safe for logs and outputs. */
  readonly display: string;
  /** TCP host, or a directory for a Unix socket (`?host=/run/postgresql`). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly urlPassword: string | undefined;
  readonly password: string | undefined;
  readonly passwordFile: string | undefined;
  /** What the connection does: the URL's sslmode combined with the `tls:` block (see postgresSslMode). */
  readonly sslMode: SslMode;
  /** CA, client certificate and server name; null when neither `tls:` nor ssl_ca_file is set. */
  readonly tls: TlsSettings | null;
  readonly applicationName: string;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** Client-side deadline of a query: after statement_timeout, before the run's timeout. */
  readonly queryTimeoutMs: number;
  /** Longest pause between reconnection attempts: the interval. */
  readonly intervalMs: number;
  readonly thresholds: {
    readonly connections: Thresholds;
    readonly replicationLag: Thresholds;
    readonly replicationSlotRetained: Thresholds;
    readonly xidAge: Thresholds;
    readonly walArchiveAge: Thresholds;
    readonly oldestTransaction: Thresholds;
    readonly lockWaits: Thresholds;
  };
  /** tls:expiry of the server's certificate chain, when the connection uses TLS. */
  readonly expiryThresholds: Thresholds;
}

const SSL_MODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/**
 * The mode a connection uses, from the URL's sslmode (libpq's meaning) and the `tls:` block:
 * - no block: the URL's sslmode, default disable. libpq's allow/prefer try TLS
 *   opportunistically; Vigil is explicit: they mean no TLS here.
 * - a block and no sslmode: verify-full (the block asks for TLS, verified as for Redis and Kafka).
 * - a block's insecure_skip_verify: true wins over the URL: require (encrypted, not verified).
 * - sslmode=require with the block's ca_file: verify-ca, as libpq does when given a root certificate.
 * - a block with sslmode disable / allow / prefer: a problem, one of the two is a mistake.
 * The deprecated ssl_ca_file keeps its former meaning: it never changes the mode.
 */
export function postgresSslMode(urlMode: string | null, block: TlsInput | undefined, report: ReportProblem): SslMode {
  if (urlMode !== null && !SSL_MODES.includes(urlMode)) report('url', `sslmode must be one of ${SSL_MODES.join(', ')}`);
  const given: SslMode | null = urlMode === null ? null : urlMode === 'require' || urlMode === 'verify-ca' || urlMode === 'verify-full' ? urlMode : 'disable';
  if (block === undefined) return given ?? 'disable';
  if (given === 'disable') {
    // An sslmode that is not a mode was reported above, and is not echoed.
    if (SSL_MODES.includes(urlMode ?? '')) report('tls', `is set but the URL's sslmode=${urlMode} turns TLS off: drop one of them`);
    return 'disable';
  }
  if (block.insecure_skip_verify === true) return 'require';
  if (given === null) return 'verify-full';
  if (given === 'require' && block.ca_file !== undefined) return 'verify-ca';
  return given;
}

function resolveOptions(
  target: PostgresTarget,
  section: PostgresSection,
  schedule: ProbeSchedule,
  report: ReportProblem,
  deprecated: ReportDeprecated,
  name: string,
): PostgresOptions {
  const url = parseUrl(target.url, /^postgres(ql)?:$/, 'a postgres:// URL', report);
  const query = url.searchParams;
  const sslMode = postgresSslMode(query.get('sslmode'), target.tls, report);
  const tls = resolveTls(target.tls, [{ key: 'ssl_ca_file', field: 'ca_file', value: target.ssl_ca_file }], report, deprecated);
  const host = query.get('host') ?? decodeUrlPart(url.hostname.replace(/^\[|\]$/g, ''), 'host', report);
  if (!host) report('url', 'must name a host (postgres://host:5432/db, or ?host=/socket/dir)');
  const user = decodeUrlPart(url.username, 'user name', report) || 'postgres';
  const timeouts = resolveTimeouts({ connect: target.connect_timeout, command: target.statement_timeout, commandKey: 'statement_timeout' }, schedule, report);
  const t = { ...section.thresholds, ...target.thresholds };
  return Object.freeze({
    target: name,
    display: redactUrl(target.url),
    host: host || 'localhost',
    port: url.port ? Number(url.port) : DEFAULT_PORT,
    user,
    database: decodeUrlPart(url.pathname.replace(/^\//, ''), 'database name', report) || user,
    urlPassword: url.password ? decodeUrlPart(url.password, 'password', report) : undefined,
    password: target.password,
    passwordFile: target.password_file,
    sslMode,
    tls: tls ?? null,
    // Shows in pg_stat_activity; 63 bytes at most (NAMEDATALEN).
    applicationName: `vigil:${name}`.slice(0, 63),
    connectTimeoutMs: timeouts.connectTimeoutMs,
    statementTimeoutMs: timeouts.commandTimeoutMs,
    // The server cancels at statement_timeout; a server that stopped answering cannot, so the
    // client gives up halfway between that and the run's timeout.
    queryTimeoutMs: Math.round(timeouts.commandTimeoutMs + Math.max(0, schedule.timeoutMs - timeouts.commandTimeoutMs) / 2),
    intervalMs: schedule.intervalMs,
    thresholds: Object.freeze({
      connections: resolveLadder(connectionsCheck, t.connections),
      replicationLag: resolveLadder(replicationLagCheck, t.replication_lag),
      replicationSlotRetained: resolveLadder(replicationSlotsCheck, t.replication_slot_retained),
      xidAge: resolveLadder(xidAgeCheck, t.xid_age),
      walArchiveAge: resolveLadder(walArchivingCheck, t.wal_archive_age),
      oldestTransaction: resolveLadder(oldestTransactionCheck, t.oldest_transaction),
      lockWaits: resolveLadder(lockWaitsCheck, t.lock_waits),
    }),
    expiryThresholds: resolveLadder(tlsExpiry, target.expiry_thresholds ?? section.expiry_thresholds),
  });
}

export const resolvePostgres = targetInstances<PostgresSection, PostgresTarget, PostgresOptions>({
  key: POSTGRES.key,
  envVar: URL_ENV,
  fromEnv: (item) => ({ url: item }),
  defaultName: (target) => hostPortName(target.url, DEFAULT_PORT),
  options: (target, section, schedule, report, deprecated) => {
    const name = target.name ?? hostPortName(target.url, DEFAULT_PORT) ?? 'postgres';
    return resolveOptions(target, section, schedule, report, deprecated, name);
  },
});

/** The `probes.postgres` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const postgresConfig: KindConfig<PostgresSection, PostgresOptions> = { schema: postgresSchema, resolve: resolvePostgres };
