// A real Prometheus server (Debian's `prometheus`, installed by scripts/test-deps.sh) for the
// consumer tests: scrapes the given targets as job `vigil` every `interval`, evaluates the given
// rule files at the same interval, on a free loopback port, in a temp dir removed at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/lib.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface PromRule {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly health: string;
  readonly lastError?: string;
  readonly query: string;
  readonly state?: string;
  readonly alerts?: readonly PromAlert[];
}

export interface PromAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly value: string;
}

export interface PrometheusServer {
  readonly url: string;
  readonly pid: number | undefined;
  /** Instant query; throws on a query error (a bad expression is a test failure, not "no data"). */
  query(expr: string): Promise<PromSeries[]>;
  rules(): Promise<PromRule[]>;
  alerts(): Promise<PromAlert[]>;
  targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]>;
  /** Names of every series Prometheus holds (`__name__` values). */
  metricNames(): Promise<string[]>;
  log(): string;
}

export interface PrometheusOptions {
  readonly targets: readonly string[];
  readonly ruleFiles?: readonly string[];
  /** Scrape and evaluation interval, e.g. `1s`. */
  readonly interval?: string;
  /** Extra labels on every target (node, cluster…), as relabelling would add them. */
  readonly labels?: Readonly<Record<string, string>>;
}

export async function startPrometheus(t: Teardown, options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
  const port = await freePort();
  const interval = options.interval ?? '1s';
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{ job_name: 'vigil', static_configs: [{ targets: options.targets, labels: options.labels ?? {} }] }],
  };
  // JSON is YAML.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited at start-up: ${output}`);
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
    if (ready?.ok) break;
    if (Date.now() > deadline) throw new Error(`prometheus not ready within 30 s: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    pid: child.pid,
    async query(expr) {
      const data = await api<{ resultType: string; result: PromSeries[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return data.result;
    },
    async rules() {
      const data = await api<{ groups: { rules: PromRule[] }[] }>('/api/v1/rules');
      return data.groups.flatMap((g) => g.rules);
    },
    async alerts() {
      return (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
    },
    async targets() {
      return (await api<{ activeTargets: { health: string; lastError: string; scrapeUrl: string }[] }>('/api/v1/targets')).activeTargets;
    },
    async metricNames() {
      return api<string[]>('/api/v1/label/__name__/values');
    },
    log: () => output,
  };
}
