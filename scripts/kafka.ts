// A real single-node Apache Kafka broker (KRaft, broker + controller in one JVM) for tests, CI
// and benchmarks, from the official Maven Central jars (scripts/kafka-fetch.sh) on Java 17.
//
//   node scripts/kafka.ts fetch [version ...]   download into the cache (default: every tested version)
//   node scripts/kafka.ts start [version]       run a broker on a free port until Ctrl-C
//
// As a module: ensureKafka(version) → jar dir; startBroker({version}) → a running broker with
// stop/freeze/thaw/restart, and the Kafka tools (kafka-consumer-groups…) run from the same jars.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const FETCH_SCRIPT = fileURLToPath(new URL('./kafka-fetch.sh', import.meta.url));

/** Kafka versions the integration tests and benchmark cover (VIGIL_KAFKA_VERSIONS overrides). */
export const DEFAULT_KAFKA_VERSIONS: readonly string[] = ['3.9.1', '4.1.1'];

export function kafkaVersions(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = (env.VIGIL_KAFKA_VERSIONS ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return listed.length > 0 ? listed : [...DEFAULT_KAFKA_VERSIONS];
}

/** Downloads (once, cached) the broker and tools jars; returns the directory holding libs/. */
export function ensureKafka(version: string): string {
  const out = execFileSync('sh', [FETCH_SCRIPT, version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const dir = out.trim().split('\n').pop();
  if (!dir) throw new Error(`kafka-fetch printed no directory for ${version}`);
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Kafka's Uuid text form: 16 random bytes, base64url without padding; not starting with `-`, which the tool's argument parser would take for an option. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function canConnect(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BrokerOptions {
  readonly version: string;
  /** Extra server.properties lines (key → value). */
  readonly properties?: Readonly<Record<string, string | number>>;
  /** JVM heap; default 512m. */
  readonly heap?: string;
  /** Longest wait for the broker to serve; default 90 s (a loaded 2-core machine). */
  readonly startTimeoutMs?: number;
  /** Join this broker's cluster as a broker-only node (node id 2, 3…) instead of a new cluster. */
  readonly join?: KafkaBroker;
  /** More listeners, name → port, the name being its security protocol (e.g. SASL_PLAINTEXT). */
  readonly listeners?: Readonly<Record<string, number>>;
  /** More arguments to `kafka-storage format`, e.g. `--add-scram` credentials. */
  readonly formatArgs?: readonly string[];
}

export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every broker this process started, killed if the process exits without stopping them. */
const running = new Set<KafkaBroker>();
process.once('exit', () => {
  for (const broker of running) broker.killNow();
});

export class KafkaBroker {
  readonly version: string;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly libs: string;
  private child: ChildProcess | null = null;
  private readonly logFile: string;
  private readonly heap: string;
  private readonly startTimeoutMs: number;

  constructor(
    version: string,
    libs: string,
    port: number,
    controllerPort: number,
    dir: string,
    options: BrokerOptions & { nodeId: number; clusterId: string },
  ) {
    this.version = version;
    this.nodeId = options.nodeId;
    this.clusterId = options.clusterId;
    this.libs = libs;
    this.port = port;
    this.controllerPort = controllerPort;
    this.dir = dir;
    this.logFile = join(dir, 'server.log');
    this.heap = options.heap ?? '512m';
    this.startTimeoutMs = options.startTimeoutMs ?? 90_000;
  }

  /** `127.0.0.1:<port>`, what clients bootstrap from. */
  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get major(): number {
    return Number(this.version.split('.')[0]);
  }

  private get classpath(): string {
    return `${this.libs}/libs/*`;
  }

  private javaArgs(main: string, args: readonly string[], heap: string): string[] {
    // The broker logs INFO to its server.log; tools print only warnings (their stdout is parsed).
    const role = main === 'kafka.Kafka' ? 'server' : 'tools';
    const logging =
      this.major >= 4
        ? [`-Dlog4j2.configurationFile=${join(this.dir, `${role}-log4j2.properties`)}`]
        : [`-Dlog4j.configuration=file:${join(this.dir, `${role}-log4j.properties`)}`];
    return [
      `-Xmx${heap}`,
      `-Xms${heap === '512m' ? '256m' : heap}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      ...logging,
      '-cp',
      this.classpath,
      main,
      ...args,
    ];
  }

  /** Starts the JVM (own process group) and waits until the broker answers on its port. */
  async start(): Promise<void> {
    if (this.child) throw new Error('broker already running');
    const log = openSync(this.logFile, 'a');
    const child = spawn('java', this.javaArgs('kafka.Kafka', [join(this.dir, 'server.properties')], this.heap), {
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    running.add(this);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      const gone = await Promise.race([exited, sleep(250).then(() => undefined)]);
      if (gone !== undefined) throw new Error(`Kafka ${this.version} exited with ${gone} while starting:\n${this.tail()}`);
      if ((await canConnect(this.port, 1000)) && (await this.serves())) return;
    }
    await this.stop();
    throw new Error(`Kafka ${this.version} did not serve on ${this.bootstrap} within ${this.startTimeoutMs} ms:\n${this.tail()}`);
  }

  /** The broker serves once it answers Metadata with itself and a controller (the socket listens earlier). */
  private async serves(): Promise<boolean> {
    const admin = new Kafka({
      clientId: 'vigil-kafka-harness',
      brokers: [this.bootstrap],
      connectionTimeout: 1000,
      requestTimeout: 3000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.controller !== null && cluster.brokers.some((b) => b.nodeId === this.nodeId);
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** Stops the broker (SIGTERM to its process group, SIGKILL after 20 s); keeps its data. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    this.signal('SIGCONT'); // a frozen broker cannot handle SIGTERM
    this.signal('SIGTERM');
    const killed = await Promise.race([exited.then(() => false), sleep(20_000).then(() => true)]);
    if (killed) {
      this.signal('SIGKILL');
      await exited;
    }
    this.child = null;
    running.delete(this);
  }

  /** Stops the broker and removes its data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGSTOP: the broker keeps its sockets open but answers nothing (a hung JVM, a GC storm). */
  freeze(): void {
    this.signal('SIGSTOP');
  }

  thaw(): void {
    this.signal('SIGCONT');
  }

  /** For process exit: no waiting. */
  killNow(): void {
    this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /** The last lines of the broker's log, for error messages. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Runs a Kafka tool class from the broker's jars, e.g. the consumer-groups command. */
  runTool(main: string, args: readonly string[], timeoutMs = 120_000): Promise<ToolResult> {
    return new Promise((resolve) => {
      execFile('java', this.javaArgs(main, args, '256m'), { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** `kafka-consumer-groups.sh --bootstrap-server <broker> <args>`. */
  consumerGroups(args: readonly string[]): Promise<ToolResult> {
    return this.runTool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', this.bootstrap, ...args]);
  }

  /** Starts `kafka-console-consumer.sh` (a Java consumer) from the broker's jars; the caller kills it. */
  spawnConsoleConsumer(args: readonly string[]): ChildProcess {
    return spawn('java', this.javaArgs('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', this.bootstrap, ...args], '256m'), {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

/** Writes the config, formats the storage with a random cluster id, starts, waits until it serves. */
export async function startBroker(options: BrokerOptions): Promise<KafkaBroker> {
  const libs = ensureKafka(options.version);
  const { join: seed } = options;
  const port = await freePort();
  // A joining broker talks to the seed's controller and has no controller listener of its own.
  const controllerPort = seed ? seed.controllerPort : await freePort();
  const nodeId = seed ? seed.nodeId + 1 + Math.floor(Math.random() * 1000) : 1;
  const clusterId = seed ? seed.clusterId : randomClusterId();
  const dir = mkdtempSync(join(tmpdir(), `vigil-kafka-${options.version}-`));
  const broker = new KafkaBroker(options.version, libs, port, controllerPort, dir, { ...options, nodeId, clusterId });
  const extra = Object.entries(options.listeners ?? {});
  const extraListeners = extra.map(([name, p]) => `,${name}://127.0.0.1:${p}`).join('');
  const properties: Record<string, string | number> = {
    'process.roles': seed ? 'broker' : 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: (seed ? `PLAINTEXT://127.0.0.1:${port}` : `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`) + extraListeners,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}${extraListeners}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${extra.map(([name]) => `,${name}:${name}`).join('')}`,
    'log.dirs': join(dir, 'data'),
    'num.partitions': 1,
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 4,
    ...options.properties,
  };
  writeFileSync(
    join(dir, 'server.properties'),
    `${Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  for (const [role, level] of [
    ['server', 'INFO'],
    ['tools', 'WARN'],
  ] as const) {
    writeFileSync(
      join(dir, `${role}-log4j.properties`),
      `log4j.rootLogger=${level}, out\nlog4j.appender.out=org.apache.log4j.ConsoleAppender\nlog4j.appender.out.layout=org.apache.log4j.PatternLayout\nlog4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n\n`,
    );
    writeFileSync(
      join(dir, `${role}-log4j2.properties`),
      `rootLogger.level=${level}\nrootLogger.appenderRef.out.ref=out\nappender.out.type=Console\nappender.out.name=out\nappender.out.layout.type=PatternLayout\nappender.out.layout.pattern=[%d] %p %m (%c)%n\n`,
    );
  }
  const format = await broker.runTool('kafka.tools.StorageTool', [
    'format',
    '-t',
    clusterId,
    '-c',
    join(dir, 'server.properties'),
    '--ignore-formatted',
    ...(options.formatArgs ?? []),
  ]);
  if (format.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`formatting Kafka ${options.version} storage failed (${format.code}): ${format.stderr || format.stdout}`);
  }
  try {
    await broker.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return broker;
}

async function cli(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'fetch') {
    for (const version of rest.length > 0 ? rest : kafkaVersions()) console.log(ensureKafka(version));
    return 0;
  }
  if (command === 'start') {
    const broker = await startBroker({ version: rest[0] ?? kafkaVersions()[0]! });
    console.log(`Kafka ${broker.version} serving on ${broker.bootstrap} (pid ${broker.pid}, data ${broker.dir}); Ctrl-C stops it`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await broker.destroy();
    return 0;
  }
  process.stderr.write('usage: node scripts/kafka.ts fetch [version ...] | start [version]\n');
  return 2;
}

if (import.meta.main) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`kafka: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
