// A real single-node OpenSearch for the log ingestion test, from Maven Central jars
// (scripts/opensearch-fetch.sh) on Java 17: loopback only, security plugin absent, one node.
//
//   node scripts/opensearch.ts fetch     download into the cache (once)
//   node scripts/opensearch.ts start     run a node on a free port until Ctrl-C
//
// OpenSearch refuses to run as root, so as root the node runs as `nobody` from a copy of the
// home that user can read (the cache lives under root's home); otherwise as the current user.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './kafka.ts';

const FETCH_SCRIPT = fileURLToPath(new URL('./opensearch-fetch.sh', import.meta.url));
export const OPENSEARCH_VERSION = '2.19.6';
/** The unprivileged account a root test run starts the node as. */
const RUN_AS = 'nobody';

export function ensureOpenSearch(version = OPENSEARCH_VERSION): string {
  const out = execFileSync('sh', [FETCH_SCRIPT, version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const dir = out.trim().split('\n').pop();
  if (!dir) throw new Error(`opensearch-fetch printed no directory for ${version}`);
  return dir;
}

function accountIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name} in /etc/passwd to run OpenSearch as (it refuses root)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(path: string, uid: number, gid: number): void {
  execFileSync('chown', ['-R', `${uid}:${gid}`, path]);
}

const running = new Set<OpenSearchNode>();
process.once('exit', () => {
  for (const node of running) node.killNow();
});

export class OpenSearchNode {
  readonly port: number;
  readonly dir: string;
  private child: ChildProcess | null = null;
  private readonly logFile: string;

  constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
    this.logFile = join(dir, 'node.log');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** A JSON request with a timeout; throws on a non-2xx status with the body. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 2000)}`);
    return JSON.parse(text) as T;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async start(home: string, timeoutMs: number): Promise<void> {
    const logFd = (await import('node:fs')).openSync(this.logFile, 'a');
    const java = [
      '-Xms256m',
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Xss1m',
      `-Dopensearch.path.home=${home}`,
      `-Dopensearch.path.conf=${join(this.dir, 'config')}`,
      '-Dopensearch.distribution.type=tar',
      '-Dopensearch.bundled_jdk=false',
      `-Djava.io.tmpdir=${join(this.dir, 'tmp')}`,
      '-Dlog4j2.formatMsgNoLookups=true',
      '-cp',
      `${home}/lib/*`,
      'org.opensearch.bootstrap.OpenSearch',
    ];
    const asRoot = process.getuid?.() === 0;
    const [command, args] = asRoot
      ? ['setpriv', ['--reuid', RUN_AS, '--regid', String(accountIds(RUN_AS).gid), '--clear-groups', 'java', ...java]]
      : ['java', java];
    this.child = spawn(command as string, args as string[], {
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, OPENSEARCH_PATH_CONF: join(this.dir, 'config') },
    });
    running.add(this);
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.child.once('exit', () => (exited = true));
    for (;;) {
      if (exited) throw new Error(`OpenSearch exited during start-up:\n${this.log().slice(-4000)}`);
      try {
        const health = await this.request<{ status: string }>('GET', '/_cluster/health?wait_for_status=yellow&timeout=1s');
        if (health.status !== 'red') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`OpenSearch not ready within ${timeoutMs} ms:\n${this.log().slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  async destroy(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts a node on a free loopback port, in a fresh temp dir (data, logs, config, home copy). */
export async function startOpenSearch(options: { version?: string; startTimeoutMs?: number } = {}): Promise<OpenSearchNode> {
  const cached = ensureOpenSearch(options.version);
  const port = await freePort();
  const transport = await freePort();
  const dir = mkdtempSync('/tmp/vigil-opensearch-');
  chmodSync(dir, 0o755);
  const node = new OpenSearchNode(port, dir);
  try {
    let home = cached;
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      // nobody cannot traverse /root: a hard-linked (else copied) home under the temp dir.
      home = join(dir, 'home');
      try {
        execFileSync('cp', ['-al', cached, home]);
      } catch {
        cpSync(cached, home, { recursive: true });
      }
      execFileSync('chmod', ['-R', 'a+rX', home]);
    }
    for (const sub of ['config', 'data', 'logs', 'tmp']) mkdirSync(join(dir, sub));
    writeFileSync(
      join(dir, 'config', 'opensearch.yml'),
      [
        'cluster.name: vigil-test',
        'node.name: vigil-test',
        'discovery.type: single-node',
        'network.host: 127.0.0.1',
        `http.port: ${port}`,
        `transport.port: ${transport}`,
        `path.data: ${join(dir, 'data')}`,
        `path.logs: ${join(dir, 'logs')}`,
        // A test machine's disk may be fuller than the default watermarks allow for shards.
        'cluster.routing.allocation.disk.threshold_enabled: false',
        'action.auto_create_index: true',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'config', 'log4j2.properties'),
      [
        'status = error',
        'appender.console.type = Console',
        'appender.console.name = console',
        'appender.console.layout.type = PatternLayout',
        'appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n',
        'rootLogger.level = warn',
        'rootLogger.appenderRef.console.ref = console',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'config', 'jvm.options'), '');
    if (asRoot) {
      const { uid, gid } = accountIds(RUN_AS);
      for (const sub of ['config', 'data', 'logs', 'tmp']) chownTree(join(dir, sub), uid, gid);
    }
    await node.start(home, options.startTimeoutMs ?? 120_000);
    return node;
  } catch (err) {
    await node.destroy();
    throw err;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'fetch') {
    console.log(ensureOpenSearch(process.argv[3]));
  } else if (command === 'start') {
    const node = await startOpenSearch();
    console.log(
      `OpenSearch ${OPENSEARCH_VERSION} at ${node.url} (pid ${node.pid}, user ${process.getuid?.() === 0 ? RUN_AS : userInfo().username}); Ctrl-C stops it`,
    );
    const stop = () => void node.destroy().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } else {
    console.error('usage: node scripts/opensearch.ts fetch|start');
    process.exit(64);
  }
}
