// One outage of a datastore target seen through the agent: how long the check takes to fail,
// what /health and /ready answer meanwhile, how long it takes to recover.
import type { TestAgent } from './agent.ts';

export interface OutageSpec {
  readonly check: string;
  readonly target: string;
  readonly critical: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Breaks the server; resolves once it is broken. Omit when it starts broken. */
  readonly breakIt?: () => Promise<void>;
  /** Brings it back; resolves once the server accepts connections again. */
  readonly restore: () => Promise<void>;
}

export interface OutageReport {
  /** ms from the break (or from now when it starts broken) to the check failing. */
  readonly failMs: number;
  /** ms from the server's return to the check passing. */
  readonly recoverMs: number;
  readonly healthStatus: number;
  /** Slowest /health answer during the outage, ms. */
  readonly healthMs: number;
  readonly readyStatus: number;
  readonly failOutput: string;
}

/** The part of tap's Test used here. */
interface Asserts {
  ok(value: unknown, message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
}

// The bounds, plus slack for a loaded 2-core machine running other suites.
const SLACK_MS = 1500;

export async function outage(t: Asserts, agent: TestAgent, spec: OutageSpec): Promise<OutageReport> {
  const failBound = spec.timeoutMs + spec.intervalMs * 1.1 + SLACK_MS;
  const recoverBound = spec.intervalMs * 1.1 + SLACK_MS;
  const brokeAt = Date.now();
  if (spec.breakIt) await spec.breakIt();
  await agent.until(spec.check, spec.target, 'fail', failBound + 10_000);
  const failMs = Date.now() - brokeAt;
  t.ok(
    failMs <= failBound,
    `${spec.target}: failed ${failMs} ms after the outage began (bound: timeout + interval = ${spec.timeoutMs + spec.intervalMs} ms + jitter/slack)`,
  );

  let healthMs = 0;
  let healthStatus = 0;
  for (let i = 0; i < 20; i++) {
    const answer = await agent.get('/health');
    healthMs = Math.max(healthMs, answer.ms);
    healthStatus = answer.status;
  }
  t.equal(healthStatus, 200, '/health stays 200');
  t.ok(healthMs < 250, `/health fast: slowest of 20 answers ${Math.round(healthMs)} ms`);
  const readyStatus = (await agent.get('/ready')).status;
  t.equal(readyStatus, spec.critical ? 503 : 200, `/ready ${spec.critical ? 'fails with a critical target' : 'ignores a non-critical target'}`);
  const failOutput = (await agent.check(spec.check, spec.target))?.output ?? '';

  await spec.restore();
  const backAt = Date.now();
  await agent.until(spec.check, spec.target, 'pass', recoverBound + 10_000);
  const recoverMs = Date.now() - backAt;
  t.ok(
    recoverMs <= recoverBound,
    `${spec.target}: recovered ${recoverMs} ms after the server returned (bound: one interval = ${spec.intervalMs} ms + jitter/slack)`,
  );
  t.equal((await agent.get('/ready')).status, 200, '/ready 200 again');
  return { failMs, recoverMs, healthStatus, healthMs, readyStatus, failOutput };
}

export interface CycleReport {
  readonly cycles: number;
  /** Most links through the proxy at once, sampled while cycling. */
  readonly maxLinks: number;
  readonly elapsedMs: number;
}

/** `n` outages made by cutting the proxy in front of the server: each waits for fail, then pass. */
export async function cutCycles(
  agent: TestAgent,
  proxy: { cut(): void; restore(): void; links(): number },
  check: string,
  target: string,
  n: number,
): Promise<CycleReport> {
  const t0 = Date.now();
  let maxLinks = proxy.links();
  const sample = setInterval(() => (maxLinks = Math.max(maxLinks, proxy.links())), 5);
  try {
    for (let i = 0; i < n; i++) {
      proxy.cut();
      await agent.until(check, target, 'fail', 10_000);
      proxy.restore();
      await agent.until(check, target, 'pass', 10_000);
    }
  } finally {
    clearInterval(sample);
  }
  return { cycles: n, maxLinks, elapsedMs: Date.now() - t0 };
}
