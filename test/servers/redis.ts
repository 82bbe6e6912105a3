// Real Redis servers for integration tests: the machine's (127.0.0.1:6379) when it answers,
// otherwise one of our own (`redis-server` from the Debian package, on a free port, in a temp
// dir). Tests that stop, replicate, need AUTH, TLS or a disabled CONFIG always start their own.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from '../../bench/lib.ts';
import { parseInfo } from '../../src/probes/redis/client.ts';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly own: boolean;
  /** A URL; `rediss://` for a TLS server. */
  url(user?: string, password?: string): string;
  /** A new admin client (the caller quits it). */
  admin(): Promise<Redis>;
  /** One admin command on a short-lived connection. */
  command(name: string, ...args: (string | number)[]): Promise<unknown>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface OwnRedisOptions {
  readonly port?: number;
  /** Lines of redis.conf (e.g. `rename-command CONFIG ""`, `user vigil on >pw +ping`). */
  readonly config?: readonly string[];
  /** For a TLS-only server: the files and the admin connection's TLS options. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  /** Password of the `default` user (requirepass), for the admin connection too. */
  readonly requirepass?: string;
}

async function ping(options: RedisOptions): Promise<boolean> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    protocol: 2,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function handle(port: number, own: boolean, adminOptions: RedisOptions, control: Pick<RedisServer, 'stop' | 'start'>): RedisServer {
  const host = '127.0.0.1';
  const scheme = adminOptions.tls ? 'rediss' : 'redis';
  const admin = async () => {
    const client = new Redis({
      host,
      port,
      ...adminOptions,
      lazyConnect: true,
      protocol: 2,
      enableReadyCheck: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  return {
    host,
    port,
    own,
    url: (user?: string, password?: string) => {
      const auth =
        user !== undefined || password !== undefined
          ? `${encodeURIComponent(user ?? '')}${password !== undefined ? `:${encodeURIComponent(password)}` : ''}@`
          : '';
      return `${scheme}://${auth}${host}:${port}`;
    },
    admin,
    async command(name, ...args) {
      const client = await admin();
      try {
        return await client.call(name, ...args);
      } finally {
        client.disconnect();
      }
    },
    ...control,
  };
}

let machine: Promise<RedisServer | null> | undefined;

export function machineRedis(): Promise<RedisServer | null> {
  if (process.env.VIGIL_TEST_OWN_SERVERS === '1') return Promise.resolve(null);
  machine ??= ping({ host: '127.0.0.1', port: 6379 }).then((ok) => {
    if (!ok) return null;
    const fixed = async () => {
      throw new Error('the machine Redis is not ours to stop');
    };
    return handle(6379, false, {}, { stop: fixed, start: fixed });
  });
  return machine;
}

/** A redis-server of our own, killed and deleted when the test ends. */
export async function ownRedis(t: Teardown, options: OwnRedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redis-'));
  const port = options.port ?? (await freePort());
  const lines = [
    'bind 127.0.0.1',
    'protected-mode no',
    `dir ${dir}`,
    'save ""',
    'appendonly no',
    'daemonize no',
    'loglevel warning',
    `logfile ${join(dir, 'redis.log')}`,
  ];
  if (options.tls) {
    lines.push(
      'port 0',
      `tls-port ${port}`,
      `tls-cert-file ${options.tls.cert}`,
      `tls-key-file ${options.tls.key}`,
      `tls-ca-cert-file ${options.tls.ca}`,
      'tls-auth-clients no',
    );
  } else {
    lines.push(`port ${port}`);
  }
  if (options.requirepass !== undefined) lines.push(`requirepass ${options.requirepass}`);
  lines.push(...(options.config ?? []));
  const configFile = join(dir, 'redis.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);

  const adminOptions: RedisOptions = {
    ...(options.requirepass !== undefined ? { password: options.requirepass } : {}),
    ...(options.tls ? { tls: { ca: readFileSync(options.tls.ca, 'utf8'), servername: '127.0.0.1' } } : {}),
  };
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn('redis-server', [configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const deadline = Date.now() + 15_000;
    while (!(await ping({ host: '127.0.0.1', port, ...adminOptions }))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not start: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    proc.kill('SIGKILL');
    await once(proc, 'exit');
  };
  t.teardown(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return handle(port, true, adminOptions, { stop, start });
}

export async function anyRedis(t: Teardown): Promise<RedisServer> {
  return (await machineRedis()) ?? ownRedis(t);
}

/** INFO of `server`, parsed as the probe parses it. */
export async function serverInfo(server: RedisServer, section?: string): Promise<ReadonlyMap<string, string>> {
  return parseInfo((await (section ? server.command('INFO', section) : server.command('INFO'))) as string);
}
