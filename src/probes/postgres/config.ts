// The `probes.postgres` section: any number of servers, each one persistent connection.
import { z } from 'zod';
import { duration, type ProbeSchedule } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { connectionsCheck, lockWaitsCheck, oldestTransactionCheck, POSTGRES, replicationLagCheck, URL_ENV } from './metadata.ts';
import type { ReportProblem } from '../kind.ts';
import { connectionFields, decodeUrlPart, hostPortName, parseUrl, resolveTimeouts } from '../target-config.ts';
import { redactUrl } from '../../redact.ts';
import { targetFields, targetInstances, targetsSection } from '../targets.ts';

export const DEFAULT_PORT = 5432;

const thresholdsSchema = z
  .strictObject({
    connections: ladderField(connectionsCheck),
    replication_lag: ladderField(replicationLagCheck),
    oldest_transaction: ladderField(oldestTransactionCheck),
    lock_waits: ladderField(lockWaitsCheck),
  })
  .describe('Check thresholds; a target\'s own replace the section\'s, key by key');

const targetSchema = z.strictObject({
  ...targetFields,
  url: z
    .string({ error: 'must be a postgres:// URL' })
    .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// URL' })
    .describe('postgres://user[:password]@host[:port]/database[?sslmode=disable|require|verify-ca|verify-full]'),
  ...connectionFields,
  statement_timeout: duration.optional().describe("Server-side statement_timeout of Vigil's session; default 80 % of the probe's timeout"),
  ssl_ca_file: z.string({ error: 'must be a file path' }).optional().describe('CA certificate (PEM) for sslmode verify-ca / verify-full'),
  thresholds: thresholdsSchema.optional(),
});

export const postgresSchema = targetsSection(targetSchema, { thresholds: thresholdsSchema.optional() }).describe(
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
  readonly sslMode: SslMode;
  readonly sslCaFile: string | undefined;
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
    readonly oldestTransaction: Thresholds;
    readonly lockWaits: Thresholds;
  };
}

const SSL_MODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

function resolveOptions(target: PostgresTarget, section: PostgresSection, schedule: ProbeSchedule, report: ReportProblem, name: string): PostgresOptions {
  const url = parseUrl(target.url, /^postgres(ql)?:$/, 'a postgres:// URL', report);
  const query = url.searchParams;
  const sslModeText = query.get('sslmode') ?? 'disable';
  if (!SSL_MODES.includes(sslModeText)) report('url', `sslmode must be one of ${SSL_MODES.join(', ')}`);
  // libpq's allow/prefer try TLS opportunistically; Vigil is explicit: they mean no TLS here.
  const sslMode: SslMode = sslModeText === 'require' || sslModeText === 'verify-ca' || sslModeText === 'verify-full' ? sslModeText : 'disable';
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
    sslCaFile: target.ssl_ca_file,
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
      oldestTransaction: resolveLadder(oldestTransactionCheck, t.oldest_transaction),
      lockWaits: resolveLadder(lockWaitsCheck, t.lock_waits),
    }),
  });
}

export const resolvePostgres = targetInstances<PostgresSection, PostgresTarget, PostgresOptions>({
  key: POSTGRES.key,
  envVar: URL_ENV,
  fromEnv: (item) => ({ url: item }),
  defaultName: (target) => hostPortName(target.url, DEFAULT_PORT),
  options: (target, section, schedule, report) => {
    const name = target.name ?? hostPortName(target.url, DEFAULT_PORT) ?? 'postgres';
    return resolveOptions(target, section, schedule, report, name);
  },
});
