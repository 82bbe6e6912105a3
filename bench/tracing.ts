// Tracing suite: what traces cost. The same agent (disk, memory and cpu probes every second)
// three times side by side: tracing off, tracing on exporting to a local OTLP/HTTP receiver
// (in this process, answering at once), and tracing on with the collector down (a closed port).
// CPU per probe cycle (one run of every probe) and RSS, with ratios against "off".
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  ROOT,
  cleanEnv,
  freePort,
  httpGet,
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

/** Module loading, JIT and the first exports settle before the measured window. */
const WARM_UP_MS = 10_000;
const INTERVAL = '1s';

type Mode = 'off' | 'on' | 'collector down';
const MODES: readonly Mode[] = ['off', 'on', 'collector down'];

/** Completed probe runs so far, from the agent's own counter. */
async function probeRuns(server: RunningServer): Promise<number> {
  const text = (await httpGet(`${server.baseUrl}/metrics`, 5000)).body.toString('utf8');
  let total = 0;
  for (const m of text.matchAll(/^vigil_probe_runs_total\{[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

export const tracingSuite: Suite = {
  name: 'tracing',
  description: 'CPU per probe cycle and RSS with tracing off, on (local OTLP/HTTP receiver) and on with the collector down',
  async run(ctx: BenchContext): Promise<SuiteReport> {
    const windowS = ctx.settings.idleS;
    // The receiver: accepts every export at once and counts what it got.
    let exports = 0;
    let exportBytes = 0;
    const receiver = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => (exportBytes += chunk.length));
      req.on('end', () => {
        exports++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const receiverPort = (receiver.address() as { port: number }).port;
    const closedPort = await freePort();

    const configFile = join(ctx.tmp, 'vigil-tracing.yaml');
    writeFileSync(configFile, `http:\n  host: 127.0.0.1\n  drain_delay: 100ms\ndefaults:\n  interval: ${INTERVAL}\n`);
    const servers = new Map<Mode, RunningServer>();
    try {
      for (const mode of MODES) {
        const port = await freePort();
        const otel: Record<string, string> =
          mode === 'off'
            ? {}
            : { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${mode === 'on' ? receiverPort : closedPort}`, OTEL_BSP_SCHEDULE_DELAY: '1000' };
        servers.set(
          mode,
          await startServer(ctx.children, {
            name: `agent (tracing ${mode})`,
            args: [join(ROOT, 'src/main.ts')],
            env: cleanEnv(/^VIGIL_|^OTEL_/, { VIGIL_PORT: String(port), VIGIL_CONFIG: configFile, ...otel }),
            port,
            readyPath: '/ready',
            readyTimeoutMs: 30_000,
            logFile: join(ctx.tmp, `tracing-${mode.replace(' ', '-')}.log`),
            stopGraceMs: 5000,
          }),
        );
      }
      ctx.log(`tracing: ${WARM_UP_MS / 1000}s warm-up, then ${windowS}s measured, probes every ${INTERVAL}`);
      await sleep(WARM_UP_MS);
      const before = new Map<Mode, { cpu: number; runs: number }>();
      for (const [mode, s] of servers) before.set(mode, { cpu: readCpuSeconds(s.pid), runs: await probeRuns(s) });
      const exportsBefore = exports;
      await sleep(windowS * 1000);
      const rows: (string | number | null)[][] = [];
      const data: Record<string, unknown> = {};
      let offPerCycle = 0;
      let offRss = 0;
      for (const [mode, s] of servers) {
        const b = before.get(mode) as { cpu: number; runs: number };
        const cpu = readCpuSeconds(s.pid) - b.cpu;
        const runs = (await probeRuns(s)) - b.runs;
        const cycles = runs / 3; // disk, memory, cpu
        const perCycleMs = cycles > 0 ? (cpu * 1000) / cycles : 0;
        const rss = readRss(s.pid);
        if (mode === 'off') {
          offPerCycle = perCycleMs;
          offRss = rss.rss;
        }
        rows.push([
          `tracing ${mode}`,
          round(cycles, 0),
          round(cpu * 1000, 0),
          round(perCycleMs, 2),
          ratio(perCycleMs, offPerCycle),
          mib(rss.rss),
          mib(rss.anon),
          ratio(rss.rss, offRss),
        ]);
        data[mode] = { cycles, cpuSeconds: cpu, cpuMsPerCycle: perCycleMs, rss };
      }
      data.receiver = { exports: exports - exportsBefore, bytes: exportBytes };
      return {
        tables: [
          {
            title: `Tracing cost over ${windowS}s after ${WARM_UP_MS / 1000}s (disk, memory, cpu probes every ${INTERVAL}; a cycle = one run of each)`,
            columns: ['agent', 'cycles', 'CPU ms', 'CPU ms/cycle', '× off', 'RSS MiB', 'anon MiB', 'RSS × off'],
            rows,
            notes: [
              `receiver got ${exports - exportsBefore} OTLP/HTTP (protobuf) exports in the window, ${round(exportBytes / 1024, 1)} KiB in all`,
              'CPU from /proc/<pid>/stat in clock ticks (10 ms): BENCH_IDLE=120s for a finer figure',
            ],
          },
        ],
        data,
      };
    } finally {
      await Promise.all([...servers.values()].map((s) => s.stop()));
      receiver.closeAllConnections();
      receiver.close();
    }
  },
};
