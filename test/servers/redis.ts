// Real Redis servers for integration tests: the machine's (127.0.0.1:6379) when it answers,
// otherwise one of our own (`redis-server` from the Debian package, on a free port, in a temp
// dir). Tests that stop, replicate, need AUTH, TLS or a disabled CONFIG always start their own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from '../../bench/lib.ts';
import { parseInfo } from '../../src/probes/redis/client.ts';
import { waitFor } from '../helpers.ts';

const execFileAsync = promisify(execFile);

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
  /** Sends a signal to the server process (SIGSTOP / SIGCONT to freeze and thaw it); own servers only. */
  signal(name: NodeJS.Signals): void;
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
  /** A Redis Sentinel (`redis-server --sentinel`); `config` holds its `sentinel monitor …` lines. */
  readonly sentinel?: boolean;
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

function handle(port: number, own: boolean, adminOptions: RedisOptions, control: Pick<RedisServer, 'stop' | 'start' | 'signal'>): RedisServer {
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
    return handle(6379, false, {}, { stop: fixed, start: fixed, signal: () => void fixed() });
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
    ...(options.sentinel ? [] : ['save ""', 'appendonly no']),
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
    const proc = spawn('redis-server', [configFile, ...(options.sentinel ? ['--sentinel'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  const signal = (name: NodeJS.Signals) => {
    if (!child || child.exitCode !== null) throw new Error(`redis-server on port ${port} is not running`);
    child.kill(name);
  };
  t.teardown(async () => {
    // A frozen server must run again to die of anything but SIGKILL; SIGKILL is what stop sends.
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return handle(port, true, adminOptions, { stop, start, signal });
}

export async function anyRedis(t: Teardown): Promise<RedisServer> {
  return (await machineRedis()) ?? ownRedis(t);
}

/** INFO of `server`, parsed as the probe parses it. */
export async function serverInfo(server: RedisServer, section?: string): Promise<ReadonlyMap<string, string>> {
  return parseInfo((await (section ? server.command('INFO', section) : server.command('INFO'))) as string);
}

export interface RedisClusterOptions {
  /** Nodes (masters and replicas); default 6. */
  readonly nodes?: number;
  /** Replicas per master; default 1. */
  readonly replicas?: number;
  /** More redis.conf lines for every node. */
  readonly config?: readonly string[];
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (+10000) is free too, so below 55536: ephemeral ports are too high. */
async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

/** Cluster-enabled redis-server, not yet part of any cluster (for `--cluster add-node`). */
export async function ownClusterNode(t: Teardown, config: readonly string[] = []): Promise<RedisServer> {
  // A low node timeout: PFAIL after 1 s, failover a second or two later, however long the
  // master was gone (validity factor 0).
  return ownRedis(t, {
    port: await freeClusterPort(),
    config: ['cluster-enabled yes', 'cluster-node-timeout 1000', 'cluster-require-full-coverage no', 'cluster-replica-validity-factor 0', ...config],
  });
}

/** redis-cli, bounded in time; its output. Never synchronous: the agent under test shares the event loop. */
export async function redisCli(args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return (await execFileAsync('redis-cli', args, { encoding: 'utf8', timeout: timeoutMs })).stdout;
}

/** A Redis Cluster of our own on loopback (`redis-cli --cluster create`), every node killed when the test ends. */
export async function ownRedisCluster(t: Teardown, options: RedisClusterOptions = {}): Promise<RedisServer[]> {
  const count = options.nodes ?? 6;
  const nodes: RedisServer[] = [];
  // One at a time: two nodes must not pick the same port.
  for (let i = 0; i < count; i++) nodes.push(await ownClusterNode(t, options.config));
  await redisCli(['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', String(options.replicas ?? 1), '--cluster-yes']);
  await waitFor(
    async () => {
      for (const node of nodes) {
        const info = parseInfo((await node.command('CLUSTER', 'INFO')) as string);
        if (info.get('cluster_state') !== 'ok' || info.get('cluster_known_nodes') !== String(count)) return false;
      }
      return true;
    },
    30_000,
    100,
  );
  return nodes;
}
