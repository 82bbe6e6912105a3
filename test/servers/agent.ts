// The real agent (config resolution, runner, check store, HTTP app) in-process, for tests that
// drive datastore probes against real servers. Host probes are off so only the targets under
// test decide /ready; HTTP goes through app.inject().
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Agent } from '../../src/agent.ts';
import { resolveConfig } from '../../src/config/load.ts';
import type { HealthCheckEntry, HealthDocument } from '../../src/http/health-doc.ts';
import { PROBE_KINDS } from '../../src/probes/registry.ts';
import { captureLogs, waitFor, type CapturedLogs } from '../helpers.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';
import { loadOtelApi } from '../../src/otel.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

export interface TestAgent {
  readonly agent: Agent;
  readonly logs: CapturedLogs;
  get(path: string): Promise<Answer>;
  health(): Promise<HealthDocument>;
  /** The entry of one check and component in /health/detailed. */
  check(id: string, componentId: string): Promise<HealthCheckEntry | undefined>;
  /**
   * Polls /health/detailed until the check has `status`; returns the ms it took. Throws with the
   * last entry seen after `timeoutMs`.
   */
  until(id: string, componentId: string, status: string, timeoutMs: number): Promise<number>;
  /** Every text the agent produced: logs, health documents, metrics (for secret leaks). */
  outputs(): Promise<string>;
}

export async function startAgent(t: Teardown, probes: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<TestAgent> {
  const logs = captureLogs('debug');
  const config = resolveConfig(
    { http: { drain_delay: '1ms' }, probes: { disk: { enabled: false }, memory: { enabled: false }, cpu: { enabled: false }, ...probes } },
    null,
    env,
    PROBE_SECTIONS,
  );
  const agent = new Agent(config, PROBE_KINDS, logs.logger);
  void agent.parts.runner.start();
  t.teardown(() => agent.shutdown('test over'));
  const seen: string[] = [];
  const get = async (path: string): Promise<Answer> => {
    const t0 = performance.now();
    const res = await agent.app.inject({ method: 'GET', url: path });
    const answer = { status: res.statusCode, body: res.body, ms: performance.now() - t0 };
    if (path !== '/health' && path !== '/ready') seen.push(res.body);
    return answer;
  };
  const health = async () => JSON.parse((await get('/health/detailed')).body) as HealthDocument;
  const check = async (id: string, componentId: string) => (await health()).checks[id]?.find((e) => e.componentId === componentId);
  return {
    agent,
    logs,
    get,
    health,
    check,
    async until(id, componentId, status, timeoutMs) {
      const t0 = Date.now();
      let last: HealthCheckEntry | undefined;
      try {
        await waitFor(async () => (last = await check(id, componentId))?.status === status, timeoutMs, 20);
      } catch {
        throw new Error(`${id} ${componentId} not ${status} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
      }
      return Date.now() - t0;
    },
    async outputs() {
      await get('/metrics');
      await get('/health/detailed');
      return [...logs.raw, ...seen].join('\n');
    },
  };
}

/** Records every span from now on (the agent's tracing is off in tests): loads the API as tracing does and registers a provider. */
export async function captureSpans(): Promise<InMemorySpanExporter> {
  const exporter = new InMemorySpanExporter();
  (await loadOtelApi()).trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  return exporter;
}

/** Names and attributes of the recorded spans, as text (to search for secrets). */
export function spansText(exporter: InMemorySpanExporter): string {
  return exporter
    .getFinishedSpans()
    .map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, status: s.status, events: s.events }))
    .join('\n');
}

/** Samples of one metric family in Prometheus text: labels and value of each series. */
export function samplesOf(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the series of `name` whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  return samplesOf(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
