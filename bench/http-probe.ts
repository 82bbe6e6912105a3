// HTTP probe suite: what one http probe run costs, for 1 and 50 targets, against a bare
// Fastify server in a child process (bench/baseline-server.ts, GET /ready), compared in the
// same run with spawning `curl` per check (as the runbooks' health checks do) and with Debian's
// prometheus-blackbox-exporter probing the same targets (GET /probe per target, as Prometheus
// scrapes it). CPU: this process's for Vigil, the children's for curl, the exporter's own from
// /proc for blackbox_exporter (the scrape's cost in this process is left out of its figure).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { promisify } from 'node:util';
import { BUILTIN_SCHEDULE } from '../src/config/common.ts';
import { httpKind } from '../src/probes/http/index.ts';
import type { Probe } from '../src/probes/types.ts';
import { startBlackbox, type Blackbox } from '../test/servers/blackbox.ts';
import { freePort, httpGet, readCpuSeconds, round, startServer, type BenchContext, type Suite, type SuiteReport, type Table } from './lib.ts';
import { httpConfig } from '../src/probes/http/config.ts';

const run = promisify(execFile);

interface Row {
  readonly what: string;
  readonly targets: number;
  readonly cycles: number;
  readonly msPerCycle: number;
  readonly p95Ms: number;
  readonly cpuMsPerCycle: number;
}

/** This process's children's CPU so far (waited-for children only), seconds. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime: fields 16 and 17 of the whole line.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function timeCycles(what: string, targets: number, cycles: number, cycle: () => Promise<unknown>, cpu: () => number): Promise<Row> {
  for (let i = 0; i < 3; i++) await cycle();
  const times: number[] = [];
  const cpu0 = cpu();
  for (let i = 0; i < cycles; i++) {
    const t0 = performance.now();
    await cycle();
    times.push(performance.now() - t0);
  }
  const cpuS = cpu() - cpu0;
  times.sort((a, b) => a - b);
  return {
    what,
    targets,
    cycles,
    msPerCycle: round(times.reduce((a, b) => a + b, 0) / cycles, 3),
    p95Ms: round(times[Math.min(times.length - 1, Math.floor(0.95 * times.length))] ?? 0, 3),
    cpuMsPerCycle: round((cpuS * 1000) / cycles, 3),
  };
}

function probes(urls: string[]): Probe[] {
  const section = httpConfig.schema.parse({ targets: urls.map((url, i) => ({ name: `bench-${i}`, url })) });
  const problems: string[] = [];
  const settings = httpConfig.resolve({ section, defaults: BUILTIN_SCHEDULE, env: {} }, (p, m) => problems.push(`${p}: ${m}`));
  if (problems.length) throw new Error(problems.join('; '));
  const ctx = { logger: pino({ enabled: false }), host: { proc: '/proc', sys: '/sys', rootfs: '/' } };
  return settings.map((s) => httpKind.create(s, ctx));
}

async function collectAll(list: Probe[]): Promise<void> {
  const signal = new AbortController().signal;
  for (const r of await Promise.all(list.map((p) => p.collect(signal)))) {
    const failed = r.checks.find((c) => c.status === 'fail');
    if (failed) throw new Error(`${failed.componentId}: ${failed.output}`);
  }
}

const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function curlAll(urls: string[]): Promise<void> {
  await Promise.all(urls.map((url) => run('curl', ['-fsS', '-o', '/dev/null', '--max-time', '5', url])));
}

async function blackboxAll(blackbox: Blackbox, urls: string[]): Promise<void> {
  for (const text of await Promise.all(urls.map((url) => blackbox.probe(url, 'http_2xx')))) {
    if (!/^probe_success 1$/m.test(text)) throw new Error(`blackbox_exporter: probe failed\n${text.slice(0, 500)}`);
  }
}

export const httpProbeSuite: Suite = {
  name: 'http-probe',
  description: 'cost of one http probe run (time, CPU) for 1 and 50 targets vs curl spawned per check and vs blackbox_exporter probing the same targets',
  async run(ctx: BenchContext): Promise<SuiteReport> {
    const port = await freePort();
    const server = await startServer(ctx.children, {
      name: 'target server',
      args: [join('bench', 'baseline-server.ts')],
      env: { ...process.env, BASELINE_PORT: String(port), BASELINE_METRICS_BYTES: '1024' },
      port,
      readyPath: '/ready',
      logFile: join(ctx.tmp, 'http-probe-target.log'),
    });
    const blackbox = await startBlackbox(null, ctx.tmp, { http_2xx: { prober: 'http', timeout: '5s', http: { preferred_ip_protocol: 'ip4' } } });
    // Distinct paths: 50 targets are 50 endpoints of one service, each its own probe.
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `${server.baseUrl}/ready?target=${i}`);
    const one = probes(urls(1));
    const fifty = probes(urls(50));
    try {
      await httpGet(`${server.baseUrl}/ready`);
      const exporterCpu = () => readCpuSeconds(blackbox.pid);
      ctx.log('http-probe: vigil');
      const rows: Row[] = [
        await timeCycles('vigil http probe', 1, 200, () => collectAll(one), selfCpu),
        await timeCycles('vigil http probe', 50, 40, () => collectAll(fifty), selfCpu),
      ];
      ctx.log('http-probe: curl');
      rows.push(
        await timeCycles('curl per check', 1, 50, () => curlAll(urls(1)), childrenCpuSeconds),
        await timeCycles('curl per check', 50, 10, () => curlAll(urls(50)), childrenCpuSeconds),
      );
      ctx.log('http-probe: blackbox_exporter');
      rows.push(
        await timeCycles('blackbox_exporter /probe', 1, 200, () => blackboxAll(blackbox, urls(1)), exporterCpu),
        await timeCycles('blackbox_exporter /probe', 50, 40, () => blackboxAll(blackbox, urls(50)), exporterCpu),
      );
      const version = (await run('curl', ['--version'])).stdout.split('\n')[0] ?? 'curl';
      const base = (targets: number) => rows.find((r) => r.what === 'vigil http probe' && r.targets === targets) as Row;
      const table: Table = {
        title: 'HTTP probe run (GET /ready of a bare Fastify server on loopback)',
        columns: ['what', 'targets', 'ms/cycle', 'p95 ms', 'ms/target', 'CPU ms/cycle', 'CPU ms/target', '× vigil CPU'],
        rows: rows.map((r) => [
          r.what,
          r.targets,
          r.msPerCycle,
          r.p95Ms,
          round(r.msPerCycle / r.targets, 3),
          r.cpuMsPerCycle,
          round(r.cpuMsPerCycle / r.targets, 3),
          base(r.targets).cpuMsPerCycle > 0 ? round(r.cpuMsPerCycle / base(r.targets).cpuMsPerCycle, 1) : null,
        ]),
        notes: [
          'targets are collected concurrently, as the runner does; Vigil keeps one connection per target',
          `CPU: this process for Vigil; the curl children (${version.split(' ').slice(0, 2).join(' ')}); the exporter process alone for blackbox_exporter (the /probe request's own cost in this process is not counted)`,
          'CPU from /proc in clock ticks (10 ms): small per-cycle figures are averages over the cycles',
        ],
      };
      return { tables: [table], data: { rows } };
    } finally {
      for (const p of [...one, ...fifty]) await p.stop();
      await blackbox.stop();
      await server.stop();
    }
  },
};
