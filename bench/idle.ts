// Idle suite: what the agent costs a node when nobody asks it anything. It runs on every node
// of a cluster, so its steady CPU and memory matter more than its peak throughput. Compared
// with a bare Fastify server doing nothing, measured over the same window.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  cleanEnv,
  freePort,
  mib,
  ratio,
  readCpuSeconds,
  readRss,
  round,
  sleep,
  startServer,
  type BenchContext,
  type RunningServer,
  type Suite,
  type SuiteReport,
} from './lib.ts';

/** Let start-up work (module loading, JIT, first probe round) finish before measuring. */
const WARM_UP_MS = 20_000;

export const idleSuite: Suite = {
  name: 'idle',
  description: 'steady CPU and RSS of an idle agent (default probes) vs an idle bare Fastify server',
  async run(ctx: BenchContext): Promise<SuiteReport> {
    const configFile = join(ctx.tmp, 'vigil-idle.yaml');
    writeFileSync(configFile, 'http:\n  host: 127.0.0.1\n  drain_delay: 100ms\n');
    const agentPort = await freePort();
    const basePort = await freePort();
    const servers: RunningServer[] = [];
    try {
      servers.push(
        await startServer(ctx.children, {
          name: 'agent',
          args: [join(ROOT, 'src/main.ts')],
          env: cleanEnv(/^VIGIL_|^OTEL_/, { VIGIL_PORT: String(agentPort), VIGIL_CONFIG: configFile }),
          port: agentPort,
          readyPath: '/ready',
          readyTimeoutMs: 30_000,
          logFile: join(ctx.tmp, 'idle-agent.log'),
          stopGraceMs: 3000,
        }),
        await startServer(ctx.children, {
          name: 'baseline',
          args: [join(ROOT, 'bench/baseline-server.ts')],
          env: cleanEnv(/^VIGIL_|^BASELINE_/, { BASELINE_PORT: String(basePort), BASELINE_METRICS_BYTES: '1000' }),
          port: basePort,
          readyPath: '/ready',
          readyTimeoutMs: 15_000,
          logFile: join(ctx.tmp, 'idle-baseline.log'),
          stopGraceMs: 2000,
        }),
      );
      const [agent, baseline] = servers as [RunningServer, RunningServer];
      ctx.log(`idle: ${WARM_UP_MS / 1000}s warm-up, then ${ctx.settings.idleS}s measured`);
      await sleep(WARM_UP_MS);
      const before = { agent: readCpuSeconds(agent.pid), baseline: readCpuSeconds(baseline.pid) };
      await sleep(ctx.settings.idleS * 1000);
      const cpu = { agent: readCpuSeconds(agent.pid) - before.agent, baseline: readCpuSeconds(baseline.pid) - before.baseline };
      const rss = { agent: readRss(agent.pid), baseline: readRss(baseline.pid) };
      const perMinuteMs = (s: number) => round((s * 1000 * 60) / ctx.settings.idleS, 0);
      const coreShare = (s: number) => round((100 * s) / ctx.settings.idleS, 3);
      const row = (role: 'agent' | 'baseline') => [role, perMinuteMs(cpu[role]), coreShare(cpu[role]), mib(rss[role].rss), mib(rss[role].anon)];
      return {
        tables: [
          {
            title: `Idle for ${ctx.settings.idleS}s after ${WARM_UP_MS / 1000}s (agent: disk, memory, cpu probes every 15s)`,
            columns: ['server', 'CPU ms/min', '% of a core', 'RSS MiB', 'anon MiB'],
            rows: [
              row('agent'),
              row('baseline'),
              ['agent / baseline', ratio(cpu.agent, cpu.baseline), null, ratio(rss.agent.rss, rss.baseline.rss), ratio(rss.agent.anon, rss.baseline.anon)],
            ],
            notes: ['CPU from /proc/<pid>/stat in clock ticks (10 ms): short windows are coarse; BENCH_IDLE=120s for a finer figure'],
          },
        ],
        data: { idleS: ctx.settings.idleS, cpuSeconds: cpu, rss },
      };
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  },
};
