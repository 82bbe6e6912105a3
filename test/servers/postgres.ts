// Real PostgreSQL servers for integration tests: the machine's (127.0.0.1:5432, trust) when it
// answers, otherwise one of our own from the Debian packages (initdb + pg_ctl in a temp dir on a
// free port). Tests that stop, restart, replicate or need password auth always start their own.
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../bench/lib.ts';

const run = promisify(execFile);

export interface PgServer {
  readonly host: string;
  readonly port: number;
  /** True when we started it (and may stop or restart it). */
  readonly own: boolean;
  readonly dataDir: string | null;
  /** A URL for `user` (default the superuser `postgres`) and `database`. */
  url(database?: string, user?: string, password?: string): string;
  /** A connected superuser client; the caller ends it. */
  admin(database?: string): Promise<pg.Client>;
  /** Superuser one-off query. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) throw new Error('PostgreSQL is not installed (scripts/test-deps.sh installs the postgresql package)');
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error(`no PostgreSQL version under ${root}`);
  return join(root, versions[0], 'bin');
}

const isRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary; as root through `runuser -u postgres` (initdb and postgres refuse root). */
async function pgBin(name: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const bin = join(binDir(), name);
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    const { stdout } = await run(file, argv, { timeout: timeoutMs, encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chownToPostgres(dir);
  return dir;
}

/** Files the server reads must belong to the `postgres` OS user (when we run as root). */
export function chownToPostgres(path: string): void {
  if (!isRoot) return;
  const fields = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'))
    ?.split(':');
  if (!fields) throw new Error('no postgres OS user (the postgresql package creates it)');
  chownSync(path, Number(fields[2]), Number(fields[3]));
}

async function connect(host: string, port: number, database: string, timeoutMs = 2000): Promise<pg.Client> {
  const client = new pg.Client({ host, port, user: 'postgres', database, connectionTimeoutMillis: timeoutMs, application_name: 'vigil-test-admin' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function handle(host: string, port: number, own: boolean, dataDir: string | null, control: Pick<PgServer, 'stop' | 'start' | 'restart'>): PgServer {
  return {
    host,
    port,
    own,
    dataDir,
    url: (database = 'postgres', user = 'postgres', password?: string) =>
      `postgres://${encodeURIComponent(user)}${password !== undefined ? `:${encodeURIComponent(password)}` : ''}@${host}:${port}/${database}`,
    admin: (database = 'postgres') => connect(host, port, database),
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres') {
      const client = await connect(host, port, database);
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    ...control,
  };
}

let machine: Promise<PgServer | null> | undefined;

/** The machine's server on 127.0.0.1:5432 when it answers as a trusted `postgres`; else null. */
export function machinePostgres(): Promise<PgServer | null> {
  // VIGIL_TEST_OWN_SERVERS=1 proves the suite on a machine where none runs.
  if (process.env.VIGIL_TEST_OWN_SERVERS === '1') return Promise.resolve(null);
  machine ??= connect('127.0.0.1', 5432, 'postgres', 1500).then(
    async (client) => {
      await client.end();
      const fixed = async () => {
        throw new Error('the machine PostgreSQL is not ours to stop');
      };
      return handle('127.0.0.1', 5432, false, null, { stop: fixed, start: fixed, restart: fixed });
    },
    () => null,
  );
  return machine;
}

export interface OwnPostgresOptions {
  /** `scram-sha-256`: every role but `postgres` needs its password over TCP. Default trust. */
  readonly auth?: 'trust' | 'scram-sha-256';
  readonly port?: number;
  /** Extra `-c name=value` server settings. */
  readonly settings?: Record<string, string>;
}

const BASE_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  full_page_writes: 'off',
  shared_buffers: '16MB',
  max_connections: '40',
  max_wal_senders: '4',
  // Short enough for the lag tests to see standby feedback quickly.
  wal_receiver_status_interval: '1s',
};

function serverOptions(port: number, dataDir: string, settings: Record<string, string>): string {
  const all = { ...BASE_SETTINGS, ...settings, port: String(port), unix_socket_directories: dataDir };
  return Object.entries(all)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
}

function control(dataDir: string, port: number, settings: Record<string, string>): Pick<PgServer, 'stop' | 'start' | 'restart'> {
  const opts = () => ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', serverOptions(port, dataDir, settings), '-w', '-t', '60'];
  return {
    start: async () => void (await pgBin('pg_ctl', [...opts(), 'start'])),
    stop: async () => void (await pgBin('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'])),
    restart: async () => void (await pgBin('pg_ctl', [...opts(), '-m', 'fast', 'restart'])),
  };
}

function stopAtTeardown(t: Teardown, dataDir: string, root: string): void {
  t.teardown(async () => {
    await pgBin('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
}

/** A server of our own, stopped and deleted when the test ends. */
export async function ownPostgres(t: Teardown, options: OwnPostgresOptions = {}): Promise<PgServer> {
  const root = ownedTempDir('vigil-pg-');
  const dataDir = join(root, 'data');
  const port = options.port ?? (await freePort());
  await pgBin('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8']);
  if (options.auth === 'scram-sha-256') {
    // The test's superuser stays trusted; every other role must give its password.
    writeFileSync(
      join(dataDir, 'pg_hba.conf'),
      'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
    );
    chownToPostgres(join(dataDir, 'pg_hba.conf'));
  }
  const settings = options.settings ?? {};
  const ctl = control(dataDir, port, settings);
  stopAtTeardown(t, dataDir, root);
  await ctl.start();
  return handle('127.0.0.1', port, true, dataDir, ctl);
}

/** The machine's server when it answers, else our own. */
export async function anyPostgres(t: Teardown): Promise<PgServer> {
  return (await machinePostgres()) ?? ownPostgres(t);
}

/** A streaming replica of `primary` (pg_basebackup -R), on its own port. */
export async function ownReplica(t: Teardown, primary: PgServer, settings: Record<string, string> = {}): Promise<PgServer> {
  const root = ownedTempDir('vigil-pg-replica-');
  const dataDir = join(root, 'data');
  const port = await freePort();
  await pgBin('pg_basebackup', [
    '-h',
    primary.host,
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    dataDir,
    '-R',
    '-X',
    'stream',
    '--no-sync',
    '-c',
    'fast',
  ]);
  appendFileSync(join(dataDir, 'postgresql.auto.conf'), 'hot_standby = on\n');
  const ctl = control(dataDir, port, { hot_standby_feedback: 'on', ...settings });
  stopAtTeardown(t, dataDir, root);
  await ctl.start();
  return handle('127.0.0.1', port, true, dataDir, ctl);
}

/** The server's own answer: `psql -At -c sql` as the superuser, trimmed. */
export async function psql(server: PgServer, sql: string, database = 'postgres'): Promise<string> {
  return (await pgBin('psql', ['-X', '-At', '-h', server.host, '-p', String(server.port), '-U', 'postgres', '-d', database, '-c', sql], 30_000)).trim();
}

/** A database name unique to this test run (parallel test files share the machine server). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
