// Footprint suite: what a per-node agent costs the node, side by side with the Debian exporters
// it replaces (prometheus-node-exporter, -postgres-exporter, -redis-exporter), all in one run.
// Every process is started here and measured by its own PID (the agent's node process, not a
// wrapper: bin/vigil execs node); RSS and /proc/PID/smaps_rollup are sampled every second.
//
//   idle phase (BENCH_FOOTPRINT_IDLE, default 60 s), all at once:
//     zero-config agent three ways: `node src/main.ts` as before, + compile cache, bin/vigil
//     host+pg+redis agent at a 10 s interval, and the three exporters scraped every 10 s
//     (CPU-seconds per hour of both sides); host+pg+redis+kafka agent
//   load phase: 30 s of 50 connections on /metrics, /ready, /health/detailed of the
//     host+pg+redis agent (peak RSS), then its RSS 60 s later
//   /ready throughput: bin/vigil and compile-cache-only agents vs a bare Fastify server
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaVersions, startBroker, type KafkaBroker } from '../scripts/kafka.ts';
import { createTopic, produce, setOffsets } from '../test/kafka/broker.ts';
import { anyPostgres } from '../test/servers/postgres.ts';
import { ownRedis } from '../test/servers/redis.ts';
import {
  ROOT,
  cleanEnv,
  freePort,
  httpGet,
  load,
  mib,
  ratio,
  readCpuSeconds,
  round,
  sleep,
  startServer,
  type BenchContext,
  type LoadResult,
  type RunningServer,
  type Suite,
  type SuiteReport,
} from './lib.ts';

const EXPORTERS = ['prometheus-node-exporter', 'prometheus-postgres-exporter', 'prometheus-redis-exporter'] as const;
const LOAD_S = 30;
const LOAD_CONNECTIONS = 50;
const AFTER_LOAD_S = 60;
const SCRAPE_MS = 10_000;
const READY_S = 10;
const READY_CONNECTIONS = 10;
const BIN_VIGIL = readFileSync(join(ROOT, 'bin/vigil'), 'utf8');
/** bin/vigil's V8 flags and malloc tunables, read from the script, for the stack floor (the agent gets them from bin/vigil itself). */
const AGENT_V8_FLAGS = BIN_VIGIL.match(/--max-[a-z-]+-size=\d+/g) ?? [];
const AGENT_GLIBC_TUNABLES = /GLIBC_TUNABLES:-([^}"]+)\}/.exec(BIN_VIGIL)?.[1] ?? '';

/** One reading of /proc/PID/smaps_rollup, bytes. */
interface Rollup {
  readonly rss: number;
  readonly pss: number;
  readonly privateDirty: number;
  readonly anonymous: number;
}

function readRollup(pid: number): Rollup {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: field('Rss'), pss: field('Pss'), privateDirty: field('Private_Dirty'), anonymous: field('Anonymous') };
}

/** Samples every process every second until stopped; keeps the whole series. */
class Sampler {
  readonly series = new Map<string, { t: number; rollup: Rollup }[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly pids = new Map<string, number>();
  private readonly t0 = Date.now();

  constructor() {
    this.timer = setInterval(() => this.sample(), 1000);
  }

  watch(name: string, pid: number): void {
    this.pids.set(name, pid);
    this.series.set(name, []);
  }

  private sample(): void {
    const t = (Date.now() - this.t0) / 1000;
    for (const [name, pid] of this.pids) {
      try {
        this.series.get(name)?.push({ t, rollup: readRollup(pid) });
      } catch {
        // exited
      }
    }
  }

  now(name: string): Rollup {
    return readRollup(this.pids.get(name) as number);
  }

  /** Highest RSS sampled between two times (s since start). */
  peak(name: string, from: number, to: number): number {
    let max = 0;
    for (const s of this.series.get(name) ?? []) if (s.t >= from && s.t <= to) max = Math.max(max, s.rollup.rss);
    return max;
  }

  elapsed(): number {
    return (Date.now() - this.t0) / 1000;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Reads one gauge from a Prometheus text page. */
async function gaugeValue(url: string, name: string): Promise<number> {
  const body = (await httpGet(url, 5000)).body.toString('utf8');
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(body);
  if (!m) throw new Error(`${url} has no ${name}`);
  return Number(m[1]);
}

const slug = (name: string): string => name.replace(/[^a-z0-9+]+/gi, '-');

function vmHwm(pid: number): number {
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

function requireExporters(): void {
  const missing = EXPORTERS.filter((name) => {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run sh scripts/bench-deps.sh (npm run bench does)`);
}

/** 50 connections cycling /metrics, /ready, /health/detailed. */
async function mixedLoad(baseUrl: string, durationS: number): Promise<{ requests: number; non2xx: number; errors: number; reqPerSec: number }> {
  const result = await autocannon({
    url: baseUrl,
    connections: LOAD_CONNECTIONS,
    duration: durationS,
    timeout: 10,
    requests: [{ path: '/metrics' }, { path: '/ready' }, { path: '/health/detailed' }],
  });
  return { requests: result.requests.total, non2xx: result.non2xx, errors: result.errors, reqPerSec: round(result.requests.total / result.duration, 0) };
}

export const footprintSuite: Suite = {
  name: 'footprint',
  description: 'memory and CPU of the agent vs the Debian exporters it replaces, under load and idle; /ready vs bare Fastify',
  async run(ctx: BenchContext): Promise<SuiteReport> {
    requireExporters();
    const idleS = Number(process.env.BENCH_FOOTPRINT_IDLE ?? 60);
    const teardowns: (() => unknown)[] = [];
    const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
    const servers: RunningServer[] = [];
    const sampler = new Sampler();
    let broker: KafkaBroker | undefined;
    let scraper: NodeJS.Timeout | undefined;
    try {
      const pg = await anyPostgres(t);
      const redis = await ownRedis(t);
      const version = process.env.BENCH_KAFKA_VERSION?.trim() || (kafkaVersions().at(-1) as string);
      ctx.log(`footprint: starting Kafka ${version}`);
      broker = await startBroker({ version, heap: '512m' });
      const kafka = new Kafka({ clientId: 'vigil-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
      const admin = kafka.admin();
      await admin.connect();
      await createTopic(admin, 'footprint-events', 3);
      await admin.disconnect();
      await produce(broker, 'footprint-events', [100, 100, 100]);
      await setOffsets(broker, 'footprint-consumers', 'footprint-events', { 0: 50, 1: 60, 2: 70 });

      const pgUrl = pg.url('postgres');
      const redisUrl = redis.url();
      const agentYaml = (extra: string) => `http:\n  host: 127.0.0.1\n  drain_delay: 100ms\nlog:\n  level: warn\ndefaults:\n  interval: 10s\n${extra}`;
      const dbProbes = `probes:\n  postgres:\n    targets:\n      - { name: pg, url: "${pgUrl}" }\n  redis:\n    targets:\n      - { name: cache, url: "${redisUrl}" }\n`;
      const kafkaProbe = `  kafka:\n    targets:\n      - { name: events, brokers: ["${broker.bootstrap}"] }\n`;
      const files = {
        zero: join(ctx.tmp, 'footprint-zero.yaml'),
        db: join(ctx.tmp, 'footprint-db.yaml'),
        all: join(ctx.tmp, 'footprint-all.yaml'),
      };
      // Zero config but on loopback and with a short drain; the default 15 s interval.
      writeFileSync(files.zero, 'http:\n  host: 127.0.0.1\n  drain_delay: 100ms\nlog:\n  level: warn\n');
      writeFileSync(files.db, agentYaml(dbProbes));
      writeFileSync(files.all, agentYaml(dbProbes + kafkaProbe));

      // bin/vigil's compile cache is warmed as the image does it; the "before" agent has none.
      const cacheDir = join(ctx.tmp, 'compile-cache');
      const warm = ['warm-cache'];
      execFileSync(join(ROOT, 'bin/vigil'), warm, { env: { ...process.env, NODE_COMPILE_CACHE: cacheDir }, stdio: 'ignore' });
      execFileSync(process.execPath, [join(ROOT, 'src/main.ts'), ...warm], { env: { ...process.env, NODE_COMPILE_CACHE: cacheDir }, stdio: 'ignore' });
      execFileSync(process.execPath, [join(ROOT, 'bench/baseline-server.ts')], {
        env: { ...process.env, NODE_COMPILE_CACHE: cacheDir, BASELINE_WARM_ONLY: '1' },
        stdio: 'ignore',
      });
      execFileSync(process.execPath, [...AGENT_V8_FLAGS, join(ROOT, 'bench/stack-floor-server.ts')], {
        env: { ...process.env, NODE_COMPILE_CACHE: cacheDir, FLOOR_WARM_ONLY: '1' },
        stdio: 'ignore',
      });

      const agent = async (name: string, config: string, how: 'before' | 'cache' | 'bin'): Promise<RunningServer> => {
        const port = await freePort();
        const env = cleanEnv(/^VIGIL_|^OTEL_|^NODE_COMPILE_CACHE$|^NODE_OPTIONS$|^GLIBC_TUNABLES$/, {
          VIGIL_PORT: String(port),
          VIGIL_CONFIG: config,
          ...(how === 'before' ? {} : { NODE_COMPILE_CACHE: cacheDir }),
        });
        const server = await startServer(ctx.children, {
          name,
          ...(how === 'bin' ? { command: join(ROOT, 'bin/vigil'), args: [] } : { args: [join(ROOT, 'src/main.ts')] }),
          env,
          port,
          readyPath: '/ready',
          readyTimeoutMs: 30_000,
          logFile: join(ctx.tmp, `footprint-${slug(name)}.log`),
          stopGraceMs: 3000,
        });
        const exe = readlinkSync(`/proc/${server.pid}/exe`);
        if (!/\/node$/.test(exe)) throw new Error(`${name}: PID ${server.pid} runs ${exe}, not node`);
        servers.push(server);
        sampler.watch(name, server.pid);
        return server;
      };
      const exporter = async (name: string, args: string[], extraEnv: Record<string, string> = {}): Promise<RunningServer> => {
        const port = await freePort();
        const server = await startServer(ctx.children, {
          name,
          command: name,
          args: [...args, `--web.listen-address=127.0.0.1:${port}`],
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...extraEnv },
          port,
          readyPath: '/metrics',
          readyTimeoutMs: 15_000,
          logFile: join(ctx.tmp, `footprint-${slug(name)}.log`),
          stopGraceMs: 2000,
        });
        servers.push(server);
        sampler.watch(name, server.pid);
        return server;
      };

      ctx.log('footprint: starting agents, exporters and the Fastify baseline');
      const zeroBefore = await agent('zero: node src/main.ts', files.zero, 'before');
      const zeroCache = await agent('zero: + compile cache', files.zero, 'cache');
      const zero = await agent('zero: bin/vigil', files.zero, 'bin');
      const db = await agent('host+pg+redis: bin/vigil', files.db, 'bin');
      const all = await agent('host+pg+redis+kafka: bin/vigil', files.all, 'bin');
      const pgDsn = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}sslmode=disable`;
      const exporters = [
        await exporter('prometheus-node-exporter', []),
        await exporter('prometheus-postgres-exporter', [], { DATA_SOURCE_NAME: pgDsn }),
        await exporter('prometheus-redis-exporter', [`--redis.addr=${redisUrl}`]),
      ];
      const basePort = await freePort();
      const baseline = await startServer(ctx.children, {
        name: 'bare Fastify',
        args: [join(ROOT, 'bench/baseline-server.ts')],
        env: cleanEnv(/^VIGIL_|^BASELINE_|^NODE_OPTIONS$/, { BASELINE_PORT: String(basePort), BASELINE_METRICS_BYTES: '1000', NODE_COMPILE_CACHE: cacheDir }),
        port: basePort,
        readyPath: '/ready',
        logFile: join(ctx.tmp, 'footprint-baseline.log'),
      });
      servers.push(baseline);
      sampler.watch('bare Fastify', baseline.pid);
      const floorPort = await freePort();
      const floor = await startServer(ctx.children, {
        name: 'stack floor',
        args: [...AGENT_V8_FLAGS, join(ROOT, 'bench/stack-floor-server.ts')],
        env: cleanEnv(/^VIGIL_|^FLOOR_|^NODE_OPTIONS$|^GLIBC_TUNABLES$/, {
          FLOOR_PORT: String(floorPort),
          NODE_COMPILE_CACHE: cacheDir,
          GLIBC_TUNABLES: AGENT_GLIBC_TUNABLES,
        }),
        port: floorPort,
        readyPath: '/ready',
        logFile: join(ctx.tmp, 'footprint-floor.log'),
      });
      servers.push(floor);
      sampler.watch('stack floor', floor.pid);

      // Prometheus' part: every exporter and the db agent scraped every 10 s.
      const scraped = [...exporters, db];
      const scrape = () => {
        for (const s of scraped) httpGet(`${s.baseUrl}/metrics`, 5000).catch(() => undefined);
      };
      scrape();
      scraper = setInterval(scrape, SCRAPE_MS);

      ctx.log(`footprint: idle ${idleS}s`);
      const cpu0 = new Map([...scraped, all, zero].map((s) => [s.name, readCpuSeconds(s.pid)]));
      await sleep(idleS * 1000);
      const cpuS = new Map([...scraped, all, zero].map((s) => [s.name, readCpuSeconds(s.pid) - (cpu0.get(s.name) as number)]));
      const idle = new Map([...servers].map((s) => [s.name, readRollup(s.pid)]));
      const heapUsed = new Map<string, number>();
      for (const s of [zeroBefore, zeroCache, zero, db, all, floor])
        heapUsed.set(s.name, await gaugeValue(`${s.baseUrl}/metrics`, 'nodejs_heap_size_used_bytes'));
      const external = await gaugeValue(`${zero.baseUrl}/metrics`, 'nodejs_external_memory_bytes');
      clearInterval(scraper);
      scraper = undefined;

      ctx.log(`footprint: ${LOAD_S}s of ${LOAD_CONNECTIONS} connections on ${db.name}`);
      const loadFrom = sampler.elapsed();
      const flood = await mixedLoad(db.baseUrl, LOAD_S);
      const loadTo = sampler.elapsed();
      const peak = Math.max(sampler.peak(db.name, loadFrom, loadTo + 1), vmHwm(db.pid));
      const loadEnded = Date.now();

      // The throughput figure wants a quiet machine: what is measured already stops first. On
      // 2 cores the idle JVM and eight other processes cut the agent's /ready rate, not the
      // bare server's, by about a quarter. The db agent stays for its after-load figure.
      // The RSS sampler too: reading a process's smaps_rollup every second walks its page
      // tables under its mmap lock, which cut the agent's /ready rate (V8 maps and unmaps
      // pages at every scavenge of its 1 MiB young generation) from 41-43k to 28-30k req/s,
      // the bare server's not at all (measured side by side). Nothing reads it in production.
      ctx.log('footprint: stopping what is measured already and the sampler; /ready throughput');
      sampler.stop();
      await Promise.all([zeroBefore, all, floor, ...exporters].map((s) => s.stop()));
      await broker.destroy();
      broker = undefined;
      const ready: [string, RunningServer][] = [
        ['bare Fastify', baseline],
        ['agent, compile cache only', zeroCache],
        ['agent, bin/vigil', zero],
      ];
      const readyResults = new Map<string, LoadResult>();
      for (const [label, server] of ready) {
        await load(`${server.baseUrl}/ready`, READY_CONNECTIONS, 2);
        readyResults.set(label, await load(`${server.baseUrl}/ready`, READY_CONNECTIONS, READY_S));
      }
      await sleep(Math.max(0, loadEnded + AFTER_LOAD_S * 1000 - Date.now()));
      const after = readRollup(db.pid);

      // ---- tables
      const idleOf = (s: RunningServer) => idle.get(s.name) as Rollup;
      const exporterRss = exporters.reduce((sum, s) => sum + idleOf(s).rss, 0);
      const exporterPrivate = exporters.reduce((sum, s) => sum + idleOf(s).privateDirty, 0);
      const perHour = (s: number) => round((s * 3600) / idleS, 1);
      const exporterCpu = exporters.reduce((sum, s) => sum + (cpuS.get(s.name) as number), 0);
      const baseReady = readyResults.get('bare Fastify') as LoadResult;
      const binReady = readyResults.get('agent, bin/vigil') as LoadResult;

      const summary = [
        ['zero-config idle RSS (MiB)', mib(idleOf(zero).rss), '≤ 80', ratio(idleOf(zero).rss, 80 * 1048576)],
        ['host+pg+redis+kafka idle RSS (MiB)', mib(idleOf(all).rss), '≤ 100', ratio(idleOf(all).rss, 100 * 1048576)],
        ['zero-config heap used (MiB)', mib(heapUsed.get(zero.name) as number), '≤ 12', ratio(heapUsed.get(zero.name) as number, 12 * 1048576)],
        ['peak RSS under load (MiB)', mib(peak), '≤ 140', ratio(peak, 140 * 1048576)],
        [`RSS ${AFTER_LOAD_S}s after load / idle`, ratio(after.rss, idleOf(db).rss), '≤ 1.15', null],
        ['RSS host+pg+redis / 3 exporters', ratio(idleOf(db).rss, exporterRss), '≤ 1.5 (goal 1.0)', null],
        ['CPU s/h host+pg+redis / 3 exporters', ratio(cpuS.get(db.name) as number, exporterCpu), '≤ 1.0', null],
        ['/ready req/s vs bare Fastify', ratio(binReady.reqPerSec, baseReady.reqPerSec), '≥ 0.8', null],
        ['/ready p99 (ms)', binReady.latencyMs.p99, '≤ 3', null],
      ] as const;

      const memRow = (s: RunningServer) => {
        const r = idleOf(s);
        return [s.name, mib(r.rss), mib(r.pss), mib(r.privateDirty), mib(r.anonymous), heapUsed.has(s.name) ? mib(heapUsed.get(s.name) as number) : null];
      };
      return {
        tables: [
          {
            title: `Footprint targets (issue table), one run; idle ${idleS}s, agents at a 10 s interval`,
            columns: ['figure', 'measured', 'target', 'measured / target'],
            rows: summary.map((row) => [...row]),
          },
          {
            title: `Memory after ${idleS}s idle, /proc/PID/smaps_rollup (MiB)`,
            columns: ['process', 'RSS', 'PSS', 'private dirty', 'anonymous', 'heap used'],
            rows: [
              ...[zeroBefore, zeroCache, zero, db, all, baseline, floor, ...exporters].map(memRow),
              ['3 exporters together', mib(exporterRss), null, mib(exporterPrivate), null, null],
              ['host+pg+redis agent / 3 exporters', ratio(idleOf(db).rss, exporterRss), null, ratio(idleOf(db).privateDirty, exporterPrivate), null, null],
              [
                'zero bin/vigil / zero before',
                ratio(idleOf(zero).rss, idleOf(zeroBefore).rss),
                null,
                ratio(idleOf(zero).privateDirty, idleOf(zeroBefore).privateDirty),
                null,
                null,
              ],
            ],
            notes: [
              `zero-config external memory (bin/vigil): ${mib(external)} MiB; heap used is nodejs_heap_size_used_bytes as scraped (garbage included)`,
              "stack floor = bench/stack-floor-server.ts: Fastify + pino + prom-client and nothing of Vigil, with bin/vigil's V8 flags, malloc tunables and compile cache",
            ],
          },
          {
            title: "Zero-config agent above the stack floor (what is Vigil's own), and the floor against the targets",
            columns: ['figure', 'stack floor', 'zero-config agent', 'agent − floor', 'target'],
            rows: [
              ['idle RSS (MiB)', mib(idleOf(floor).rss), mib(idleOf(zero).rss), mib(idleOf(zero).rss - idleOf(floor).rss), '≤ 80'],
              [
                'private dirty (MiB)',
                mib(idleOf(floor).privateDirty),
                mib(idleOf(zero).privateDirty),
                mib(idleOf(zero).privateDirty - idleOf(floor).privateDirty),
                null,
              ],
              [
                'heap used (MiB)',
                mib(heapUsed.get(floor.name) as number),
                mib(heapUsed.get(zero.name) as number),
                mib((heapUsed.get(zero.name) as number) - (heapUsed.get(floor.name) as number)),
                '≤ 12',
              ],
              ['RSS / 3 exporters', ratio(idleOf(floor).rss, exporterRss), ratio(idleOf(zero).rss, exporterRss), null, '≤ 1.5'],
            ],
          },
          {
            title: `CPU over ${idleS}s idle, every side scraped every ${SCRAPE_MS / 1000}s (CPU-seconds per hour)`,
            columns: ['process', 'CPU s/h'],
            rows: [
              ...[db, all, zero, ...exporters].map((s) => [s.name, perHour(cpuS.get(s.name) as number)]),
              ['3 exporters together', perHour(exporterCpu)],
              ['host+pg+redis agent / 3 exporters', ratio(cpuS.get(db.name) as number, exporterCpu)],
            ],
            notes: [
              'time on CPU of every thread (/proc/PID/task/*/schedstat, ns); BENCH_FOOTPRINT_IDLE=300 for a steadier figure (probe runs and scrapes in the window)',
            ],
          },
          {
            title: `Load: ${LOAD_S}s of ${LOAD_CONNECTIONS} connections cycling /metrics, /ready, /health/detailed on ${db.name}`,
            columns: ['figure', 'value'],
            rows: [
              ['requests/s', flood.reqPerSec],
              ['non-2xx', flood.non2xx],
              ['errors', flood.errors],
              ['RSS idle before (MiB)', mib(idleOf(db).rss)],
              ['peak RSS (MiB)', mib(peak)],
              [`RSS ${AFTER_LOAD_S}s after (MiB)`, mib(after.rss)],
              ['after / idle', ratio(after.rss, idleOf(db).rss)],
            ],
          },
          {
            title: `/ready, ${READY_CONNECTIONS} connections, ${READY_S}s after 2s warm-up`,
            columns: ['server', 'req/s', 'p50 ms', 'p99 ms', 'vs bare Fastify'],
            rows: [...readyResults].map(([label, r]) => [label, r.reqPerSec, r.latencyMs.p50, r.latencyMs.p99, ratio(r.reqPerSec, baseReady.reqPerSec)]),
            notes: ['compile cache only = no V8 flags: the difference to bin/vigil is the cost of --max-semi-space-size=1 --max-old-space-size=96'],
          },
        ],
        data: {
          idleS,
          idle: Object.fromEntries(idle),
          heapUsed: Object.fromEntries(heapUsed),
          cpuSeconds: Object.fromEntries(cpuS),
          load: { ...flood, peak, after },
          ready: Object.fromEntries(readyResults),
          summary: summary.map((row) => ({ figure: row[0], measured: row[1], target: row[2] })),
        },
      };
    } finally {
      if (scraper) clearInterval(scraper);
      sampler.stop();
      await Promise.all(servers.map((s) => s.stop()));
      await broker?.destroy();
      for (const fn of teardowns.reverse()) await fn();
    }
  },
};
