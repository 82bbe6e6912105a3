// HTTP suite: the real agent against a bare Fastify server with fixed answers of the same size,
// on /ready and /metrics. Shows what the agent's own work per request (readiness state,
// rendering the metric registry) costs on top of Fastify, and the agent's resident memory.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  cleanEnv,
  freePort,
  httpGet,
  measure,
  mib,
  ratio,
  readRss,
  sleep,
  startServer,
  type BenchContext,
  type LoadResult,
  type Rss,
  type RunningServer,
  type Suite,
  type SuiteReport,
} from './lib.ts';

const ENDPOINTS = ['/ready', '/metrics'] as const;

interface Target {
  readonly role: 'agent' | 'baseline';
  readonly server: RunningServer;
}

export const httpSuite: Suite = {
  name: 'http',
  description: 'agent vs bare Fastify on /ready and /metrics (autocannon), and RSS',
  async run(ctx: BenchContext): Promise<SuiteReport> {
    const { settings } = ctx;

    // Loopback only, and a short drain so stopping the agent does not wait the default 5 s.
    const configFile = join(ctx.tmp, 'vigil-bench.yaml');
    writeFileSync(configFile, 'http:\n  host: 127.0.0.1\n  drain_delay: 100ms\n');
    const interval = process.env.BENCH_AGENT_INTERVAL;

    const agentPort = await freePort();
    ctx.log(`starting agent on 127.0.0.1:${agentPort}`);
    const agent = await startServer(ctx.children, {
      name: 'agent',
      args: [join(ROOT, 'src/main.ts')],
      env: cleanEnv(/^VIGIL_|^OTEL_/, {
        VIGIL_PORT: String(agentPort),
        VIGIL_LOG_LEVEL: 'warn',
        VIGIL_CONFIG: configFile,
        ...(interval ? { VIGIL_INTERVAL: interval } : {}),
      }),
      port: agentPort,
      readyPath: '/ready',
      readyTimeoutMs: 30_000,
      logFile: join(ctx.tmp, 'agent.log'),
      stopGraceMs: 3000,
    });

    let baseline: RunningServer | undefined;
    try {
      const agentMetrics = await httpGet(`${agent.baseUrl}/metrics`);
      if (agentMetrics.status !== 200) throw new Error(`agent /metrics answered ${agentMetrics.status}`);
      const metricsBytes = agentMetrics.body.length;
      const metricsType = String(agentMetrics.headers['content-type'] ?? 'text/plain; version=0.0.4; charset=utf-8');

      const basePort = await freePort();
      ctx.log(`agent /metrics is ${metricsBytes} bytes; starting baseline on 127.0.0.1:${basePort}`);
      baseline = await startServer(ctx.children, {
        name: 'baseline',
        args: [join(ROOT, 'bench/baseline-server.ts')],
        env: cleanEnv(/^VIGIL_|^BASELINE_/, {
          BASELINE_PORT: String(basePort),
          BASELINE_METRICS_BYTES: String(metricsBytes),
          BASELINE_METRICS_TYPE: metricsType,
        }),
        port: basePort,
        readyPath: '/ready',
        readyTimeoutMs: 15_000,
        logFile: join(ctx.tmp, 'baseline.log'),
        stopGraceMs: 2000,
      });

      const targets: Target[] = [
        { role: 'agent', server: agent },
        { role: 'baseline', server: baseline },
      ];

      const bodyBytes: Record<string, Record<string, number>> = { agent: {}, baseline: {} };
      for (const t of targets) {
        for (const path of ENDPOINTS) {
          const answer = await httpGet(t.server.baseUrl + path);
          if (answer.status !== 200) throw new Error(`${t.role} ${path} answered ${answer.status} before the load`);
          (bodyBytes[t.role] as Record<string, number>)[path] = answer.body.length;
        }
      }

      await sleep(settings.settleS * 1000);
      const rssBefore = { agent: readRss(agent.pid), baseline: readRss(baseline.pid) };

      // Interleaved so that slow drift of the machine affects both servers alike.
      const results: Record<string, Record<string, LoadResult>> = { agent: {}, baseline: {} };
      for (const path of ENDPOINTS) {
        for (const t of targets) {
          ctx.log(`load ${t.role} ${path}: ${settings.warmupS}s warm-up + ${settings.durationS}s, ${settings.connections} connections`);
          (results[t.role] as Record<string, LoadResult>)[path] = await measure(t.server.baseUrl + path, settings);
        }
      }

      const rssAfter = { agent: readRss(agent.pid), baseline: readRss(baseline.pid) };
      await sleep(settings.settleS * 1000);
      const rssSettled = { agent: readRss(agent.pid), baseline: readRss(baseline.pid) };

      const exit = { agent: await agent.stop(), baseline: await baseline.stop() };
      return report({ results, bodyBytes, rssBefore, rssAfter, rssSettled, exit, metricsBytes, interval, settleS: settings.settleS });
    } finally {
      // No-ops when already stopped; on error this leaves nothing running.
      await Promise.all([agent.stop(), baseline?.stop()]);
    }
  },
};

interface Collected {
  readonly results: Record<string, Record<string, LoadResult>>;
  readonly bodyBytes: Record<string, Record<string, number>>;
  readonly rssBefore: Record<'agent' | 'baseline', Rss>;
  readonly rssAfter: Record<'agent' | 'baseline', Rss>;
  readonly rssSettled: Record<'agent' | 'baseline', Rss>;
  readonly exit: Record<'agent' | 'baseline', number | string>;
  readonly metricsBytes: number;
  readonly interval: string | undefined;
  readonly settleS: number;
}

function report(c: Collected): SuiteReport {
  const get = (role: string, path: string): LoadResult => {
    const r = c.results[role]?.[path];
    if (!r) throw new Error(`no result for ${role} ${path}`);
    return r;
  };

  const loadRows = ENDPOINTS.flatMap((path) =>
    (['agent', 'baseline'] as const).map((role) => {
      const r = get(role, path);
      return [
        path,
        role,
        c.bodyBytes[role]?.[path] ?? null,
        r.reqPerSec,
        r.latencyMs.avg,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.latencyMs.max,
        r.errors + r.non2xx,
      ];
    }),
  );

  const ratios = Object.fromEntries(
    ENDPOINTS.map((path) => {
      const a = get('agent', path);
      const b = get('baseline', path);
      return [
        path,
        {
          throughput: ratio(a.reqPerSec, b.reqPerSec),
          p50: ratio(a.latencyMs.p50, b.latencyMs.p50),
          p99: ratio(a.latencyMs.p99, b.latencyMs.p99),
        },
      ];
    }),
  );
  const rssRatio = {
    before: ratio(c.rssBefore.agent.rss, c.rssBefore.baseline.rss),
    after: ratio(c.rssAfter.agent.rss, c.rssAfter.baseline.rss),
    settled: ratio(c.rssSettled.agent.rss, c.rssSettled.baseline.rss),
    settledAnon: ratio(c.rssSettled.agent.anon, c.rssSettled.baseline.anon),
    peak: ratio(c.rssSettled.agent.peak, c.rssSettled.baseline.peak),
  };

  const memRow = (role: 'agent' | 'baseline') => [
    role,
    mib(c.rssBefore[role].rss),
    mib(c.rssAfter[role].rss),
    mib(c.rssSettled[role].rss),
    mib(c.rssSettled[role].anon),
    mib(c.rssSettled[role].peak),
  ];

  const problems = loadRows.filter((row) => (row[8] as number) > 0).map((row) => `${row[1]} ${row[0]}: ${row[8]} errors or non-2xx answers`);
  if (c.exit.agent !== 0) problems.push(`agent exited with ${c.exit.agent} after SIGTERM (expected 0)`);

  return {
    tables: [
      {
        title: 'HTTP load (autocannon; latency in ms)',
        columns: ['endpoint', 'server', 'body B', 'req/s', 'avg', 'p50', 'p99', 'max', 'errors'],
        rows: loadRows,
        notes: problems,
      },
      {
        title: 'Agent / baseline',
        columns: ['endpoint', 'req/s', 'p50 latency', 'p99 latency'],
        rows: ENDPOINTS.map((path) => [path, ratios[path]?.throughput ?? null, ratios[path]?.p50 ?? null, ratios[path]?.p99 ?? null]),
      },
      {
        title: 'Resident memory, MiB (VmRSS; anon = RssAnon of settled; peak = VmHWM)',
        columns: ['server', 'idle before', 'after load', 'settled', 'anon', 'peak'],
        rows: [
          memRow('agent'),
          memRow('baseline'),
          ['agent / baseline', rssRatio.before, rssRatio.after, rssRatio.settled, rssRatio.settledAnon, rssRatio.peak],
        ],
        notes: [`settled = ${c.settleS}s after the load; both servers run .ts files through Node's type stripping`],
      },
    ],
    data: {
      endpoints: c.results,
      bodyBytes: c.bodyBytes,
      ratios: { ...ratios, rss: rssRatio },
      rssBytes: { before: c.rssBefore, after: c.rssAfter, settled: c.rssSettled },
      exit: c.exit,
      agent: { metricsBytes: c.metricsBytes, interval: c.interval ?? 'default' },
      problems,
    },
  };
}
