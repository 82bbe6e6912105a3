// The `probes.redis` section: any number of servers, each one persistent connection.
import { z } from 'zod';
import { duration, positiveInt, type ProbeSchedule } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { DEFAULT_TLS, resolveTls, tlsBlock, type TlsSettings } from '../../config/tls.ts';
import * as m from './metadata.ts';
import type { ReportDeprecated, ReportProblem } from '../kind.ts';
import { connectionFields, decodeUrlPart, hostPortName, parseUrl, resolveTimeouts } from '../target-config.ts';
import { redactUrl } from '../../redact.ts';
import { targetFields, targetInstances, targetsSection } from '../targets.ts';

export const DEFAULT_PORT = 6379;

export const DEFAULT_MIN_LOOKUPS = 100;

const thresholdsSchema = z
  .strictObject({
    memory: ladderField(m.memory),
    clients: ladderField(m.clients),
    hit_ratio: ladderField(m.hitRatioCheck),
    rdb_last_save_age: ladderField(m.rdbSaveAge),
    evicted_keys: ladderField(m.evicted),
    rejected_connections: ladderField(m.rejected),
  })
  .describe("Check thresholds; a target's own replace the section's, key by key");

const targetSchema = z.strictObject({
  ...targetFields,
  url: z
    .string({ error: 'must be a redis:// or rediss:// URL' })
    .regex(/^rediss?:\/\//, { error: 'must be a redis:// or rediss:// URL' })
    .describe('redis://[user[:password]@]host[:port][/db]; rediss:// for TLS'),
  username: z.string({ error: 'must be a string' }).optional().describe('ACL user name, when not in the URL'),
  ...connectionFields,
  command_timeout: duration.optional().describe("Deadline of one command (PING, INFO); default 80 % of the probe's timeout"),
  tls: tlsBlock.optional().describe('TLS files and options for a rediss:// URL (the URL turns TLS on; the block needs it)'),
  tls_ca_file: z
    .string({ error: 'must be a file path' })
    .optional()
    .meta({ deprecated: true })
    .describe('Deprecated (removed in the next release): use tls.ca_file. CA certificate (PEM) that signed the server certificate (rediss://)'),
  tls_insecure_skip_verify: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .meta({ deprecated: true })
    .describe('Deprecated (removed in the next release): use tls.insecure_skip_verify. rediss:// without verifying the server certificate'),
  hit_ratio_min_lookups: positiveInt.optional().describe('Fewest lookups (hits + misses) in an interval for the hit ratio to be evaluated; default 100'),
  thresholds: thresholdsSchema.optional(),
});

export const redisSchema = targetsSection(targetSchema, { thresholds: thresholdsSchema.optional() }).describe(
  `Redis servers (env ${m.URL_ENV}: comma-separated URLs)`,
);

export type RedisSection = z.infer<typeof redisSchema>;
type RedisTarget = z.infer<typeof targetSchema>;

export interface RedisOptions {
  readonly target: string;
  /** The URL with the password masked. */
  readonly display: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username: string | undefined;
  readonly urlPassword: string | undefined;
  readonly password: string | undefined;
  readonly passwordFile: string | undefined;
  /** For a rediss:// URL; null for redis://. */
  readonly tls: TlsSettings | null;
  /** CLIENT SETNAME: tells Vigil's connection apart in CLIENT LIST. */
  readonly connectionName: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly intervalMs: number;
  readonly minLookups: number;
  readonly thresholds: {
    readonly memory: Thresholds;
    readonly clients: Thresholds;
    readonly hitRatio: Thresholds;
    readonly saveAge: Thresholds;
    readonly evicted: Thresholds;
    readonly rejected: Thresholds;
  };
}

function resolveOptions(
  target: RedisTarget,
  section: RedisSection,
  schedule: ProbeSchedule,
  report: ReportProblem,
  deprecated: ReportDeprecated,
): RedisOptions {
  const url = parseUrl(target.url, /^rediss?:$/, 'a redis:// or rediss:// URL', report);
  const name = target.name ?? hostPortName(target.url, DEFAULT_PORT) ?? 'redis';
  const dbText = url.pathname.replace(/^\//, '') || '0';
  const db = Number(dbText);
  if (!Number.isInteger(db) || db < 0) report('url', 'the path must be a database number, e.g. /0');
  const secure = url.protocol === 'rediss:';
  const tls = resolveTls(
    target.tls,
    [
      { key: 'tls_ca_file', field: 'ca_file', value: target.tls_ca_file },
      { key: 'tls_insecure_skip_verify', field: 'insecure_skip_verify', value: target.tls_insecure_skip_verify },
    ],
    report,
    deprecated,
  );
  if (!secure && tls) report('url', 'TLS settings need a rediss:// URL');
  const timeouts = resolveTimeouts({ connect: target.connect_timeout, command: target.command_timeout, commandKey: 'command_timeout' }, schedule, report);
  const t = { ...section.thresholds, ...target.thresholds };
  return Object.freeze({
    target: name,
    display: redactUrl(target.url),
    host: decodeUrlPart(url.hostname.replace(/^\[|\]$/g, ''), 'host', report) || 'localhost',
    port: url.port ? Number(url.port) : DEFAULT_PORT,
    db: Number.isInteger(db) && db >= 0 ? db : 0,
    username: target.username ?? (url.username ? decodeUrlPart(url.username, 'user name', report) : undefined),
    urlPassword: url.password ? decodeUrlPart(url.password, 'password', report) : undefined,
    password: target.password,
    passwordFile: target.password_file,
    tls: secure ? (tls ?? DEFAULT_TLS) : null,
    connectionName: `vigil:${name}`,
    connectTimeoutMs: timeouts.connectTimeoutMs,
    commandTimeoutMs: timeouts.commandTimeoutMs,
    intervalMs: schedule.intervalMs,
    minLookups: target.hit_ratio_min_lookups ?? DEFAULT_MIN_LOOKUPS,
    thresholds: Object.freeze({
      memory: resolveLadder(m.memory, t.memory),
      clients: resolveLadder(m.clients, t.clients),
      hitRatio: resolveLadder(m.hitRatioCheck, t.hit_ratio),
      saveAge: resolveLadder(m.rdbSaveAge, t.rdb_last_save_age),
      evicted: resolveLadder(m.evicted, t.evicted_keys),
      rejected: resolveLadder(m.rejected, t.rejected_connections),
    }),
  });
}

export const resolveRedis = targetInstances<RedisSection, RedisTarget, RedisOptions>({
  key: m.REDIS.key,
  envVar: m.URL_ENV,
  fromEnv: (item) => ({ url: item }),
  defaultName: (target) => hostPortName(target.url, DEFAULT_PORT),
  options: resolveOptions,
});
