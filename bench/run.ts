// Benchmark entry point: `npm run bench` (node bench/run.ts [suite ...]).
// Runs the suites in order on loopback, prints tables, and writes bench/results/latest.json.
//
// Environment:
//   BENCH_DURATION     measured run per target (default 5s; "5", "5s", "500ms")
//   BENCH_WARMUP       warm-up run per target, not reported (default 1s)
//   BENCH_CONNECTIONS  concurrent connections (default 10)
//   BENCH_SETTLE       idle time before the steady RSS readings (default 1s)
//   BENCH_IDLE         idle and tracing suites' measured window (default 30s)
//   BENCH_AGENT_INTERVAL  VIGIL_INTERVAL for the agent under test (default: the agent's own)
//   BENCH_FOOTPRINT_IDLE  footprint suite's idle window, seconds (default 60)
//   BENCH_SUITES       comma-separated suites to run (default: all); arguments do the same
//
// Every child server is killed when the run ends, fails or is interrupted.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { httpSuite } from './http.ts';
import { idleSuite } from './idle.ts';
import { tracingSuite } from './tracing.ts';
import { dbProbesSuite } from './probes-db.ts';
import { kafkaSuite } from './kafka.ts';
import { footprintSuite } from './footprint.ts';
import { httpProbeSuite } from './http-probe.ts';
import { ChildSet, ROOT, formatTable, makeScratchDir, settingsFromEnv, type BenchSettings, type Suite } from './lib.ts';

const SUITES: readonly Suite[] = [idleSuite, httpSuite, dbProbesSuite, httpProbeSuite, kafkaSuite, tracingSuite, footprintSuite];
/** Whole-run limit: a hung server or load run must not hang CI. */
const OVERALL_TIMEOUT_MS = 10 * 60_000;

const children = new ChildSet();
const scratch = makeScratchDir();
const cleanUp = () => {
  children.killAll('SIGKILL');
  scratch.remove();
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping\n`);
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: still running after ${OVERALL_TIMEOUT_MS / 60_000} min, giving up\n`);
  process.exit(2);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<number> {
  let settings: BenchSettings;
  try {
    settings = settingsFromEnv(process.env);
  } catch (err) {
    log((err as Error).message);
    return 2;
  }
  const wanted = [...process.argv.slice(2), ...(process.env.BENCH_SUITES ?? '').split(',')].map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !SUITES.some((s) => s.name === name));
  if (unknown.length > 0) {
    log(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const suites = wanted.length > 0 ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;

  const started = new Date();
  const environment = {
    node: process.version,
    platform: `${process.platform} ${release()} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    revision: gitRevision(),
    /** Other work on the machine skews the figures; a load near the CPU count means a noisy run. */
    loadavg1AtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
  console.log(
    `Vigil bench — ${environment.node}, ${environment.cpus} × ${environment.cpuModel}, revision ${environment.revision}, load average ${environment.loadavg1AtStart}\n` +
      `${settings.durationS}s per run after ${settings.warmupS}s warm-up, ${settings.connections} connections, load generator in this process\n`,
  );

  const results: Record<string, unknown> = {};
  let failed = false;
  for (const suite of suites) {
    log(`suite ${suite.name}: ${suite.description}`);
    const t0 = performance.now();
    try {
      const report = await suite.run({ settings, children, tmp: scratch.path, log });
      for (const table of report.tables) console.log(`${formatTable(table)}\n`);
      results[suite.name] = { ...report.data, elapsedS: Math.round((performance.now() - t0) / 100) / 10 };
    } catch (err) {
      failed = true;
      log(`suite ${suite.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      results[suite.name] = { error: err instanceof Error ? err.message : String(err) };
    }
    children.killAll('SIGKILL'); // whatever a suite left behind
  }

  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'latest.json');
  const document = {
    startedAt: started.toISOString(),
    elapsedS: Math.round((Date.now() - started.getTime()) / 100) / 10,
    environment,
    settings,
    suites: results,
  };
  writeFileSync(outFile, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`results written to ${outFile.slice(ROOT.length)} (${document.elapsedS}s)`);
  return failed ? 1 : 0;
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    return 'unknown';
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
