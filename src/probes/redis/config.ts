// The `probes.redis` section: any number of targets — a server, a Redis Cluster (detected, or
// `mode: cluster` with seeds) or a Sentinel-managed master — one persistent connection per node.
import { z } from 'zod';
import { duration, positiveInt, type ProbeSchedule } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { DEFAULT_TLS, resolveTls, tlsBlock, type TlsSettings } from '../../config/tls.ts';
import { tlsExpiry } from '../certificates/metadata.ts';
import * as m from './metadata.ts';
import type { ReportDeprecated, ReportProblem } from '../kind.ts';
import { passwordFields } from '../../config/secrets.ts';
import { connectionFields, decodeUrlPart, hostPortName, parseUrl, resolveTimeouts } from '../target-config.ts';
import { redactUrl } from '../../redact.ts';
import { targetFields, targetInstances, targetsSection } from '../targets.ts';
import type { KindConfig } from '../kind.ts';
import type { NodeAddress } from './address.ts';

export { addressText, MAX_MEMBERS, type NodeAddress } from './address.ts';

export const DEFAULT_PORT = 6379;

export const DEFAULT_MIN_LOOKUPS = 100;

export const DEFAULT_SENTINEL_PORT = 26379;

const hostPort = z.string({ error: 'must be host:port' }).min(1, { error: 'must be host:port' });

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
    .optional()
    .describe('redis://[user[:password]@]host[:port][/db]; rediss:// for TLS. Required, except for a Sentinel target'),
  mode: z
    .enum(['auto', 'single', 'cluster'], { error: 'must be auto, single or cluster' })
    .optional()
    .describe(
      'auto (default): a node answering cluster_enabled:1 in INFO is probed as a Redis Cluster; single: never; cluster: a cluster, discovered from the URL and seeds',
    ),
  seeds: z
    .array(hostPort, { error: 'must be a list of host:port' })
    .optional()
    .describe("More cluster nodes to discover the cluster from (host:port; the URL's scheme, user and password apply)"),
  sentinels: z
    .array(hostPort, { error: 'must be a list of host:port' })
    .min(1, { error: 'must list at least one sentinel' })
    .optional()
    .describe('Sentinels (host:port, port 26379 by default) watching master_name: the current master is probed and followed across failovers'),
  master_name: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .optional()
    .describe('The master name the sentinels monitor (with sentinels)'),
  sentinel_password: passwordFields.password.describe("The sentinels' password, inline (prefer sentinel_password_file); the master's is password"),
  sentinel_password_file: passwordFields.password_file.describe("File holding the sentinels' password; read at every connect"),
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
  expiry_thresholds: ladderField(tlsExpiry),
});

export const redisSchema = targetsSection(targetSchema, { thresholds: thresholdsSchema.optional(), expiry_thresholds: ladderField(tlsExpiry) }).describe(
  `Redis servers (env ${m.URL_ENV}: comma-separated URLs)`,
);

export type RedisSection = z.infer<typeof redisSchema>;
type RedisTarget = z.infer<typeof targetSchema>;

export interface SentinelOptions {
  readonly masterName: string;
  readonly sentinels: readonly NodeAddress[];
  readonly password: string | undefined;
  readonly passwordFile: string | undefined;
}

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
  /** auto: cluster when the node says so; single: never a cluster; cluster: always. */
  readonly mode: 'auto' | 'single' | 'cluster';
  /** Where a cluster is discovered from: the URL's node, then the seeds. */
  readonly seeds: readonly NodeAddress[];
  /** Set for a Sentinel target; host and port are then unused (the sentinels name the master). */
  readonly sentinel: SentinelOptions | null;
  readonly thresholds: {
    readonly memory: Thresholds;
    readonly clients: Thresholds;
    readonly hitRatio: Thresholds;
    readonly saveAge: Thresholds;
    readonly evicted: Thresholds;
    readonly rejected: Thresholds;
  };
  /** tls:expiry of each server's certificate chain, with TLS. */
  readonly expiryThresholds: Thresholds;
}

/** `host:port`, `[v6]:port` or a bare host (the default port); a problem at `path` otherwise. */
export function parseAddress(text: string, defaultPort: number, path: string, report: ReportProblem): NodeAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/.exec(text.trim());
  const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
  if (!match || port < 1 || port > 65535) {
    report(path, 'must be host:port');
    return { host: 'invalid', port: defaultPort };
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

function resolveSentinel(target: RedisTarget, report: ReportProblem): SentinelOptions | null {
  if (!target.sentinels) {
    if (target.master_name !== undefined) report('master_name', 'needs sentinels');
    if (target.sentinel_password !== undefined || target.sentinel_password_file !== undefined) report('sentinel_password', 'needs sentinels');
    return null;
  }
  if (target.master_name === undefined) report('master_name', 'is required with sentinels');
  if (target.url !== undefined) report('url', 'not used with sentinels: they name the master (password, username and tls apply to it)');
  if (target.mode !== undefined || target.seeds !== undefined) report(target.mode !== undefined ? 'mode' : 'seeds', 'not used with sentinels');
  if (target.sentinel_password !== undefined && target.sentinel_password_file !== undefined)
    report('sentinel_password_file', 'give sentinel_password or sentinel_password_file, not both');
  return Object.freeze({
    masterName: target.master_name ?? '',
    sentinels: Object.freeze(target.sentinels.map((s, i) => parseAddress(s, DEFAULT_SENTINEL_PORT, `sentinels.${i}`, report))),
    password: target.sentinel_password,
    passwordFile: target.sentinel_password_file,
  });
}

function resolveOptions(
  target: RedisTarget,
  section: RedisSection,
  schedule: ProbeSchedule,
  report: ReportProblem,
  deprecated: ReportDeprecated,
): RedisOptions {
  const sentinel = resolveSentinel(target, report);
  if (!sentinel && target.url === undefined) report('url', 'is required (or sentinels and master_name)');
  // A Sentinel target has no URL: TLS is on when the tls: block is given.
  const urlText = target.url ?? (sentinel && target.tls ? 'rediss://sentinel-master' : 'redis://sentinel-master');
  const url = parseUrl(urlText, /^rediss?:$/, 'a redis:// or rediss:// URL', report);
  const name = target.name ?? defaultName(target) ?? 'redis';
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
  if (target.mode === 'single' && target.seeds) report('seeds', 'not used with mode: single');
  const timeouts = resolveTimeouts({ connect: target.connect_timeout, command: target.command_timeout, commandKey: 'command_timeout' }, schedule, report);
  const t = { ...section.thresholds, ...target.thresholds };
  return Object.freeze({
    target: name,
    display: sentinel ? `sentinel master ${sentinel.masterName}` : redactUrl(urlText),
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
    mode: target.mode ?? 'auto',
    seeds: Object.freeze((target.seeds ?? []).map((s, i) => parseAddress(s, DEFAULT_PORT, `seeds.${i}`, report))),
    sentinel,
    thresholds: Object.freeze({
      memory: resolveLadder(m.memory, t.memory),
      clients: resolveLadder(m.clients, t.clients),
      hitRatio: resolveLadder(m.hitRatioCheck, t.hit_ratio),
      saveAge: resolveLadder(m.rdbSaveAge, t.rdb_last_save_age),
      evicted: resolveLadder(m.evicted, t.evicted_keys),
      rejected: resolveLadder(m.rejected, t.rejected_connections),
    }),
    expiryThresholds: resolveLadder(tlsExpiry, target.expiry_thresholds ?? section.expiry_thresholds),
  });
}

/** host:port of the URL, or the master name of a Sentinel target. */
function defaultName(target: RedisTarget): string | undefined {
  if (target.url !== undefined) return hostPortName(target.url, DEFAULT_PORT);
  return target.sentinels ? target.master_name : undefined;
}

export const resolveRedis = targetInstances<RedisSection, RedisTarget, RedisOptions>({
  key: m.REDIS.key,
  envVar: m.URL_ENV,
  fromEnv: (item) => ({ url: item }),
  defaultName,
  options: resolveOptions,
});

/** The `probes.redis` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const redisConfig: KindConfig<RedisSection, RedisOptions> = { schema: redisSchema, resolve: resolveRedis };
