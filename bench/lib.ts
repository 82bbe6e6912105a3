// Shared pieces of the benchmark suites: settings, free ports, child servers that are always
// killed, RSS readings, autocannon runs and plain-text tables. Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

/** Repository root (bench/..). */
export const ROOT: string = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Settings

export interface BenchSettings {
  /** Measured run length per target, seconds (BENCH_DURATION, default 5). */
  readonly durationS: number;
  /** Warm-up run per target, seconds; not reported (BENCH_WARMUP, default 1). */
  readonly warmupS: number;
  /** Concurrent connections (BENCH_CONNECTIONS, default 10). */
  readonly connections: number;
  /** Idle time before the "steady" RSS reading, seconds (BENCH_SETTLE, default 1). */
  readonly settleS: number;
  /** Idle measurement window, seconds (BENCH_IDLE, default 30). */
  readonly idleS: number;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): BenchSettings {
  return Object.freeze({
    durationS: seconds(env, 'BENCH_DURATION', 5),
    warmupS: seconds(env, 'BENCH_WARMUP', 1),
    connections: integer(env, 'BENCH_CONNECTIONS', 10),
    settleS: seconds(env, 'BENCH_SETTLE', 1),
    idleS: seconds(env, 'BENCH_IDLE', 30),
  });
}

/** "5", "5s", "1.5s" or "500ms" → seconds. */
function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(raw);
  if (!m) throw new Error(`${name}=${raw}: expected seconds such as 5, 5s or 500ms`);
  const value = Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
  if (!(value >= 0) || value > 600) throw new Error(`${name}=${raw}: must be 0-600 s`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 10_000) throw new Error(`${name}=${raw}: expected an integer 1-10000`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Suites

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
  readonly notes?: readonly string[];
}

export interface SuiteReport {
  readonly tables: readonly Table[];
  /** Machine-readable results, written under suites.<name> in the results file. */
  readonly data: Record<string, unknown>;
}

export interface BenchContext {
  readonly settings: BenchSettings;
  readonly children: ChildSet;
  /** A scratch directory removed at the end of the run. */
  readonly tmp: string;
  readonly log: (message: string) => void;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<SuiteReport>;
}

export function makeScratchDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// Ports and HTTP

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One GET on a fresh connection (no keep-alive pool left behind). */
export function httpGet(url: string, timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Child servers

export interface ServerSpec {
  /** Label in tables and errors. */
  readonly name: string;
  /** Arguments to `command`, e.g. [path/to/main.ts]. */
  readonly args: readonly string[];
  /** The program to run; default `node` (process.execPath). */
  readonly command?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  /** GET this path until it answers 200. */
  readonly readyPath: string;
  readonly readyTimeoutMs?: number;
  /** stdout and stderr go here (kept for the error message if the server fails). */
  readonly logFile: string;
  /** After SIGTERM, how long to wait before SIGKILL. */
  readonly stopGraceMs?: number;
}

export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after the grace period. Resolves to the exit code (or signal name). */
  stop(): Promise<number | string>;
}

/** Every child started by the bench; killed at the end, on error and on Ctrl-C. */
export class ChildSet {
  private readonly children = new Set<ChildProcess>();

  add(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** Synchronous: also safe from process 'exit' handlers. */
  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const child of this.children) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  get size(): number {
    return this.children.size;
  }
}

export async function startServer(children: ChildSet, spec: ServerSpec): Promise<RunningServer> {
  const out = openSync(spec.logFile, 'a');
  const child = spawn(spec.command ?? process.execPath, [...spec.args], {
    cwd: ROOT,
    env: spec.env,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  children.add(child);

  let exited: string | null = null;
  const exitPromise = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = code !== null ? `exit code ${code}` : `signal ${signal}`;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  child.once('error', (err) => {
    exited = `spawn error: ${err.message}`;
  });

  const baseUrl = `http://127.0.0.1:${spec.port}`;
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
  let last = 'no answer yet';
  for (;;) {
    if (exited) throw new Error(`${spec.name} exited before it was ready (${exited})\n${tail(spec.logFile)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} not ready on ${baseUrl}${spec.readyPath} within ${spec.readyTimeoutMs ?? 30_000} ms (${last})\n${tail(spec.logFile)}`);
    }
    try {
      const answer = await httpGet(baseUrl + spec.readyPath, 1000);
      if (answer.status === 200) break;
      last = `HTTP ${answer.status}: ${answer.body.toString('utf8').trim().slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }

  const grace = spec.stopGraceMs ?? 3000;
  return {
    name: spec.name,
    pid: child.pid as number,
    port: spec.port,
    baseUrl,
    logFile: spec.logFile,
    async stop() {
      if (exited) return exitPromise;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), grace);
      try {
        return await exitPromise;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Last lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return text ? `--- last lines of ${file} ---\n${text}` : `(${file} is empty)`;
  } catch {
    return `(no log at ${file})`;
  }
}

/** Environment for a child: the parent's, minus settings that would change what is measured. */
export function cleanEnv(drop: RegExp, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!drop.test(key)) env[key] = value;
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Memory

export interface Rss {
  /** Resident set size now, bytes. */
  readonly rss: number;
  /** Anonymous part of rss (heap, stacks): what grows with load; the rest is mapped files such as the node binary. */
  readonly anon: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  readonly peak: number;
}

/** Reads VmRSS, RssAnon and VmHWM from /proc/<pid>/status (Linux). */
export function readRss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(m[1]) * 1024;
  };
  return { rss: field('VmRSS'), anon: field('RssAnon'), peak: field('VmHWM') };
}

export const mib = (bytes: number): number => round(bytes / 1024 / 1024, 1);

/** CPU time (user + system) a process has used so far, seconds, from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number {
  // Time on CPU of every live thread, in nanoseconds (first field of each task's schedstat):
  // /proc/PID/stat counts in 10 ms ticks, ±1 tick a side, too coarse for an idle minute.
  // A thread that exits inside a window is not counted; the processes measured here keep
  // theirs (Node's pools, Go's Ms) for their whole life.
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread exited between the listing and the read
      }
    }
    return ns / 1e9;
  } catch {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces); utime and stime
    // are fields 14 and 15 of the whole line, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }
}

// ---------------------------------------------------------------------------------------------
// Load

export interface LoadResult {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  /** Responses received (any status). */
  readonly requests: number;
  readonly reqPerSec: number;
  /** Milliseconds, from every response's own timing (autocannon's histogram keeps whole
   *  milliseconds only, too coarse for sub-millisecond endpoints). */
  readonly latencyMs: { readonly avg: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly bytesPerSec: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

/** Response times in ms, kept exactly (a run holds at most a few hundred thousand). */
class Samples {
  private data = new Float64Array(1 << 16);
  private n = 0;

  add(value: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = value;
  }

  get count(): number {
    return this.n;
  }

  summary(): { avg: number; p50: number; p90: number; p99: number; max: number } {
    const sorted = this.data.slice(0, this.n).sort();
    // Nearest rank.
    const at = (q: number): number => (this.n === 0 ? 0 : (sorted[Math.min(this.n - 1, Math.ceil(q * this.n) - 1)] ?? 0));
    let sum = 0;
    for (const v of sorted) sum += v;
    return { avg: this.n ? sum / this.n : 0, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
  }
}

/** One autocannon run (in this process; the servers are children, so they do not share its CPU time). */
export async function load(url: string, connections: number, durationS: number): Promise<LoadResult> {
  const samples = new Samples();
  const instance = autocannon({ url, connections, duration: durationS, timeout: 10 });
  instance.on('response', (_client, _status, _bytes, responseTime) => samples.add(responseTime as number));
  const r = await instance;
  const latency = samples.summary();
  return {
    url,
    connections,
    durationS: round(r.duration, 2),
    requests: samples.count,
    reqPerSec: round(samples.count / r.duration, 0),
    latencyMs: {
      avg: round(latency.avg, 3),
      p50: round(latency.p50, 3),
      p90: round(latency.p90, 3),
      p99: round(latency.p99, 3),
      max: round(latency.max, 3),
    },
    bytesPerSec: round(r.throughput.average, 0),
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

/** Warm-up (discarded) and then the measured run. */
export async function measure(url: string, settings: BenchSettings): Promise<LoadResult> {
  if (settings.warmupS > 0) await load(url, settings.connections, settings.warmupS);
  return load(url, settings.connections, settings.durationS);
}

// ---------------------------------------------------------------------------------------------
// Output

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** a / b rounded, or null when b is 0. */
export function ratio(a: number, b: number, digits = 2): number | null {
  return b === 0 ? null : round(a / b, digits);
}

function cell(value: string | number | null): string {
  if (value === null) return '–';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  return value;
}

/** Plain-text table: text columns left-aligned, numbers right-aligned. */
export function formatTable(table: Table): string {
  const cells = table.rows.map((row) => row.map(cell));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const numeric = table.columns.map((_, i) => table.rows.every((row) => typeof row[i] !== 'string'));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [table.title, line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join('\n');
}
