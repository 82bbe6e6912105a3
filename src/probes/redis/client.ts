// The persistent ioredis connection of one node (a server, a cluster node, a sentinel), and
// INFO parsing.
import type { ConnectionOptions } from 'node:tls';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Attributes } from '@opentelemetry/api';
import { traced } from '../../telemetry/spans.ts';
import { resolvePassword, type Connector } from '../connection.ts';
import { tlsConnectOptions } from '../secret-file.ts';
import { addressText, type NodeAddress } from './address.ts';
import type { RedisOptions } from './config.ts';

/** What one connection needs: a target's options, or those of one node of it. */
export type RedisEndpoint = Pick<
  RedisOptions,
  | 'target'
  | 'host'
  | 'port'
  | 'db'
  | 'username'
  | 'urlPassword'
  | 'password'
  | 'passwordFile'
  | 'tls'
  | 'connectionName'
  | 'connectTimeoutMs'
  | 'commandTimeoutMs'
> & {
  /** The config key of the password file, for a read error. */
  readonly passwordKey?: string;
};

/** A cluster node or the current master of a Sentinel target: the target's credentials, its own address. */
export function nodeEndpoint(o: RedisOptions, node: NodeAddress): RedisEndpoint {
  return { ...o, host: node.host, port: node.port };
}

/** A sentinel: the sentinel password (none by default), no user, database 0. */
export function sentinelEndpoint(o: RedisOptions, node: NodeAddress): RedisEndpoint {
  const s = o.sentinel;
  return {
    ...o,
    host: node.host,
    port: node.port,
    db: 0,
    username: undefined,
    urlPassword: undefined,
    password: s?.password,
    passwordFile: s?.passwordFile,
    passwordKey: 'sentinel_password_file',
  };
}

export { addressText };

// Loaded on first connect: an agent without Redis targets does not carry the driver.
const require = createRequire(import.meta.url);
let driver: typeof import('ioredis') | undefined;
const redisDriver = (): typeof import('ioredis') => (driver ??= require('ioredis') as typeof import('ioredis'));

export function spanAttributes(o: RedisEndpoint): Attributes {
  return {
    'db.system.name': 'redis',
    'db.namespace': String(o.db),
    'server.address': o.host,
    'server.port': o.port,
    'vigil.target': o.target,
  };
}

/** rediss://: the `tls:` files read at every connect; the certificate checked against the host unless server_name says otherwise. */
async function tlsOptions(o: RedisEndpoint): Promise<ConnectionOptions | undefined> {
  if (!o.tls) return undefined;
  return { servername: o.host, ...(await tlsConnectOptions(o.tls)) };
}

/**
 * Opens ioredis connections for one target. ioredis's own reconnection is off (the probe
 * reconnects at its next run, with backoff) and so is its offline queue: a command on a dead
 * connection fails at once instead of waiting for a reconnect.
 */
export function redisConnector(o: RedisEndpoint, onLost: (client: Redis, why: string) => void): Connector<Redis> {
  return {
    async open() {
      const password = await resolvePassword({ password: o.password, passwordFile: o.passwordFile, urlPassword: o.urlPassword }, o.passwordKey);
      const client = new (redisDriver().Redis)({
        host: o.host,
        port: o.port,
        db: o.db,
        username: o.username,
        password,
        tls: await tlsOptions(o),
        connectionName: o.connectionName,
        connectTimeout: o.connectTimeoutMs,
        commandTimeout: o.commandTimeoutMs,
        lazyConnect: true,
        // RESP2: no HELLO on connect (one command less, and no ACL permission needed for it).
        protocol: 2,
        enableOfflineQueue: false,
        // INFO is what we read anyway; the ready check would send one more per connect.
        enableReadyCheck: false,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
      });
      let lastError: Error | undefined;
      client.on('error', (err: Error) => {
        lastError = err;
      });
      client.on('end', () => onLost(client, lastError ? lastError.message : 'connection closed'));
      try {
        await traced('connect', spanAttributes(o), async () => {
          await client.connect();
          // AUTH and CLIENT SETNAME are sent on connect; a failure there only shows as an
          // error event. One PING proves the session is usable before we keep it.
          await client.ping();
        });
      } catch (err) {
        client.disconnect();
        throw lastError && lastError !== err ? new Error(lastError.message, { cause: err }) : err;
      }
      return client;
    },
    async close(client) {
      client.disconnect();
    },
    isServerError,
  };
}

/** A Redis error reply (`-ERR …`, `-NOAUTH …`): the connection itself is fine. */
export function isServerError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

export async function ping(client: Redis, o: RedisEndpoint): Promise<number> {
  return traced('PING', { ...spanAttributes(o), 'db.operation.name': 'PING' }, async () => {
    const t0 = performance.now();
    await client.ping();
    return (performance.now() - t0) / 1000;
  });
}

export type Info = ReadonlyMap<string, string>;

export async function info(client: Redis, o: RedisEndpoint): Promise<Info> {
  const text = await traced('INFO', { ...spanAttributes(o), 'db.operation.name': 'INFO' }, () => client.info());
  return parseInfo(text);
}

/** One command (CLUSTER INFO, SENTINEL MASTER…), traced like PING and INFO. */
export async function command(client: Redis, o: RedisEndpoint, name: string, ...args: string[]): Promise<unknown> {
  const operation = [name, args[0]].filter(Boolean).join(' ');
  return traced(operation, { ...spanAttributes(o), 'db.operation.name': operation }, () => client.call(name, ...args));
}

/** `key:value` lines of every section; section headers and blank lines skipped. */
export function parseInfo(text: string): Info {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const colon = trimmed.indexOf(':');
    if (colon > 0) out.set(trimmed.slice(0, colon), trimmed.slice(colon + 1));
  }
  return out;
}

/** A numeric INFO field; undefined when absent or not a number. */
export function num(info: Info, key: string): number | undefined {
  const text = info.get(key);
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
