// Traces end to end, against a real OTLP/HTTP receiver running in the test (OTLP/JSON decoded
// with JSON.parse): first in process (the real SDK, runner and HTTP app; a scripted probe
// whose driver calls go through traced()), then the real agent (`node src/main.ts`).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CheckStore } from '../src/checks/store.ts';
import { buildApp } from '../src/http/app.ts';
import { registerCoreMetrics } from '../src/metrics/core.ts';
import { MetricStore } from '../src/metrics/family.ts';
import { Runner } from '../src/runner/runner.ts';
import { queuedSpans, spansDropped } from '../src/telemetry/metrics.ts';
import { resolveTracingConfig } from '../src/config/tracing.ts';
import { tracingPlan } from '../src/telemetry/settings.ts';
import { traced } from '../src/telemetry/spans.ts';
import { startTracing } from '../src/telemetry/tracing.ts';
import { freePort } from '../bench/lib.ts';
import { captureLogs, delay, logLineErrors, ScriptedProbe, settingsFor, spawnAgent, valueCollection, waitFor, type SpawnedAgent } from './helpers.ts';
import { startReceiver, type ReceivedSpan } from './tracing-receiver.ts';
import { anyPostgres } from './servers/postgres.ts';
import { anyRedis } from './servers/redis.ts';

const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 };
const STATUS = { UNSET: 0, OK: 1, ERROR: 2 };

t.test('in process: probe span, driver child spans, ERROR status, log correlation, HTTP spans, no secrets', async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  // Read by the SDK's batch processor: export every 100 ms instead of every 5 s.
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  const logs = captureLogs();
  const metrics = new MetricStore();
  const plan = tracingPlan(resolveTracingConfig({ endpoint: receiver.url, protocol: 'http/json', export_timeout: '1s', max_queue_size: 100 }), {});
  const tracing = await startTracing(plan, {
    logger: logs.logger,
    metrics,
    service: { name: 'vigil-test' },
    version: '9.9.9',
    identity: { nodeName: 'node-t', podName: 'vigil-t', namespace: 'ops', hostname: 'host-t' },
    env: { NODE_NAME: 'node-t' },
  });
  t.equal(tracing.enabled, true);
  t.teardown(() => tracing.shutdown(2000));

  const redis = { 'db.system.name': 'redis', 'server.address': '127.0.0.1', 'server.port': 6379 };
  const pinging = new ScriptedProbe('cache', [
    async () => {
      // The probe's own context is the run's span: traced() spans become its children.
      await traced('PING', { ...redis, 'db.connection_string': 'redis://:s3cret@127.0.0.1:6379' }, () => delay(5));
      await traced('INFO', redis, () => delay(5));
      return valueCollection(95); // above the fail threshold (90)
    },
  ]);
  const broken = new ScriptedProbe('broken', [new Error('cannot connect to postgres://vigil:s3cret@db:5432/app')]);
  const checks = new CheckStore();
  const core = registerCoreMetrics(metrics, checks);
  const runner = new Runner(
    [
      { probe: pinging, settings: settingsFor('cache', { failureThreshold: 1 }) },
      { probe: broken, settings: settingsFor('broken', { failureThreshold: 1 }) },
    ],
    { checks, metrics, core, logger: logs.logger },
  );
  await runner.runOnce();
  await runner.stop();

  const byName = (name: string) => receiver.spans.filter((s) => s.name === name);
  await waitFor(() => byName('probe test').length >= 2 && byName('PING').length >= 1 && byName('INFO').length >= 1, 10_000, 20);
  const run = byName('probe test').find((s) => s.attributes['vigil.probe.name'] === 'cache') as ReceivedSpan;
  t.match(run, {
    kind: SPAN_KIND.INTERNAL,
    parentSpanId: '',
    attributes: {
      'vigil.probe.kind': 'test',
      'vigil.probe.name': 'cache',
      'vigil.probe.result': 'success',
      'vigil.probe.status': 'fail',
      'vigil.checks.count': 1,
      'vigil.checks.fail': 1,
      'vigil.check.test:value.status': 'fail',
      'vigil.check.test:value.observed_value': 95,
      'vigil.check.test:value.component_id': 'c1',
    },
    status: { code: STATUS.ERROR, message: /check test:value c1 fails/ },
    resource: {
      'service.name': 'vigil-test',
      'service.version': '9.9.9',
      'host.name': 'host-t',
      'k8s.node.name': 'node-t',
      'k8s.pod.name': 'vigil-t',
      'k8s.namespace.name': 'ops',
    },
  });
  for (const child of [...byName('PING'), ...byName('INFO')]) {
    t.equal(child.kind, SPAN_KIND.CLIENT, `${child.name} is a CLIENT span`);
    t.equal(child.traceId, run.traceId, `${child.name} in the run's trace`);
    t.equal(child.parentSpanId, run.spanId, `${child.name} is a child of the run's span`);
    t.match(child.attributes, redis);
  }
  t.equal(byName('PING')[0]?.attributes['db.connection_string'], 'redis://:***@127.0.0.1:6379', 'connection string scrubbed');

  const failed = byName('probe test').find((s) => s.attributes['vigil.probe.name'] === 'broken') as ReceivedSpan;
  t.match(failed, {
    attributes: { 'vigil.probe.result': 'error', 'vigil.probe.status': 'fail' },
    status: { code: STATUS.ERROR, message: 'cannot connect to postgres://vigil:***@db:5432/app' },
  });
  t.notMatch(receiver.bodies.join('\n'), /s3cret/, 'no secret ever sent to the collector');

  // The runner's lines about each run carry that run's trace.
  const transition = logs.lines.find((l) => l.event === 'check.transition' && (l.details as Record<string, unknown>).probe === 'cache');
  t.match(transition, { trace_id: run.traceId, span_id: run.spanId, level: 'ERROR' });
  const failure = logs.lines.find((l) => l.event === 'probe.failed');
  t.match(failure, { trace_id: failed.traceId, span_id: failed.spanId });
  t.notOk(logs.lines.find((l) => l.event === 'tracing.started')?.trace_id, 'lines outside any span carry no trace_id');

  // HTTP: a SERVER span for /health/detailed (continuing the caller's trace), none for /ready.
  const app = buildApp({
    checks,
    metrics,
    service: { name: 'vigil-test', description: 'test' },
    identity: { nodeName: 'node-t', podName: null, namespace: null, hostname: 'host-t' },
    logger: logs.logger,
    liveness: () => ({ healthy: true, eventLoopDelayMs: 1 }),
    firstRoundDone: () => true,
    shuttingDown: () => false,
    tracedRoutes: new Set(plan.enabled ? plan.httpRoutes : []),
  });
  t.teardown(() => app.close());
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const detailed = await app.inject({
    url: '/health/detailed?x=1',
    headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`, 'x-request-id': 'req-traced' },
  });
  t.equal(detailed.statusCode, 503, 'a failing check: 503, which is the answer, not a server error');
  await app.inject('/ready');
  await app.inject('/metrics');
  await waitFor(() => receiver.spans.some((s) => s.kind === SPAN_KIND.SERVER), 10_000, 20);
  await delay(300); // one more export period: a span for /ready would have arrived by now
  const server = receiver.spans.filter((s) => s.kind === SPAN_KIND.SERVER);
  t.equal(server.length, 1, 'only /health/detailed is traced by default');
  t.match(server[0], {
    name: 'GET /health/detailed',
    traceId: callerTrace,
    parentSpanId: '00f067aa0ba902b7',
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/health/detailed',
      'url.path': '/health/detailed',
      'http.response.status_code': 503,
      'vigil.request_id': 'req-traced',
    },
    status: { code: STATUS.UNSET },
  });
  const access = logs.lines.find((l) => l.request_id === 'req-traced');
  t.match(access, { event: 'http.access', trace_id: callerTrace, span_id: server[0]?.spanId });
  for (const line of logs.lines) t.same(logLineErrors(line), [], `log line valid: ${String(line.message)}`);

  const { body } = await metrics.render(undefined);
  t.match(body, /vigil_tracing_enabled 1/);
  t.match(body, /vigil_tracing_spans_exported_total [1-9]/);

  // The collector now hangs: tens of thousands of spans later, the retained heap is the same.
  receiver.hang = true;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const makeSpans = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await traced('GET', { ...redis, 'vigil.i': i }, async () => undefined);
      if (i % 10 === 0) await app.inject('/health/detailed');
      if (i % 200 === 0) await delay(1); // let timers (batch exports, their timeouts) run
    }
  };
  const retainedHeap = async () => {
    await delay(50);
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  await makeSpans(5000);
  const before = await retainedHeap();
  await makeSpans(25_000);
  const after = await retainedHeap();
  const growthMiB = (after - before) / 1048576;
  t.ok(
    growthMiB < 8,
    `retained heap flat over 27,500 spans with the collector hanging: ${(before / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MiB`,
  );
  const dropped = (reason: string) => metrics.value(spansDropped, { reason }) ?? 0;
  t.ok(dropped('queue_full') > 10_000, `spans beyond the queue dropped and counted (${dropped('queue_full')})`);
  t.ok(dropped('export_failed') > 0, `batches that timed out dropped and counted (${dropped('export_failed')})`);
  t.ok((metrics.value(queuedSpans, {}) ?? 0) <= 100, 'queue within its bound');
  const tracingWarnings = logs.lines.filter((l) => l.component === 'tracing' && l.level === 'WARN');
  t.equal(tracingWarnings.length, 1, 'one WARN, not one per failed export');
  t.notOk(tracingWarnings[0]?.trace_id, 'the WARN is about the pipeline: no trace_id of whichever span was active');
});

async function metricValue(base: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = text.match(pattern);
  return m ? Number(m[1]) : NaN;
}

function stdoutLines(agent: SpawnedAgent): Record<string, unknown>[] {
  return agent.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test('the agent: a span per probe run with its checks, ERROR for a failing check, resource, logs with the same trace_id', async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const postgres = await anyPostgres(t);
  const redis = await anyRedis(t);
  const dir = t.testdir({
    'vigil.yaml': [
      'service:',
      '  name: vigil-trace-e2e',
      'http:',
      '  host: 127.0.0.1',
      '  drain_delay: 200ms',
      'defaults:',
      '  interval: 1s',
      '  timeout: 900ms',
      'probes:',
      '  disk:',
      '    mount_points_include: "^/$"',
      '  memory:',
      '    thresholds: { warn: 0.5, fail: 1 }   # more than 1 % of memory is always in use: a failing check',
      '  postgres:',
      '    targets:',
      `      - { name: db, url: "${postgres.url('postgres')}" }`,
      '  redis:',
      '    targets:',
      `      - { name: cache, url: "${redis.url()}" }`,
      // No such user on the Redis server: AUTH fails, the run fails; the secret must not leak.
      `      - { name: cache-bad-auth, url: "${redis.url('ghost', 'tr4ce-s3cret')}" }`,
      'tracing:',
      `  endpoint: http://127.0.0.1:1   # the environment's endpoint wins`,
      '',
    ].join('\n'),
  });
  const port = await freePort();
  const agent = spawnAgent(port, ['--config', `${dir}/vigil.yaml`], {
    VIGIL_LOG_LEVEL: 'debug',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci',
    OTEL_SERVICE_NAME: 'vigil-from-env', // wins over service.name of the file, on spans
    NODE_NAME: 'trace-node',
    POD_NAME: 'vigil-7x2kq',
    POD_NAMESPACE: 'monitoring',
  });
  t.teardown(() => agent.child.kill('SIGKILL'));
  await waitFor(async () => (await fetch(`${agent.base}/ready`).catch(() => null)) !== null, 20_000, 50);

  const runs = (kind: string) => receiver.spans.filter((s) => s.name === `probe ${kind}`);
  await waitFor(() => ['disk', 'memory', 'cpu'].every((k) => runs(k).length >= 2), 20_000, 50);
  const succeeded = (kind: string) => runs(kind).find((s) => s.attributes['vigil.probe.result'] === 'success');
  // A run may time out on a loaded machine; each kind gets the chance of a few runs.
  await waitFor(() => ['disk', 'memory', 'cpu'].every((k) => succeeded(k)), 20_000, 50);
  for (const kind of ['disk', 'memory', 'cpu']) {
    const span = succeeded(kind) as ReceivedSpan;
    t.match(
      span,
      { kind: SPAN_KIND.INTERNAL, parentSpanId: '', attributes: { 'vigil.probe.kind': kind, 'vigil.probe.name': kind, 'vigil.probe.result': 'success' } },
      `probe ${kind} span`,
    );
    t.type(span.attributes['vigil.checks.count'], 'number');
    t.ok((span.attributes['vigil.checks.count'] as number) >= 1, `probe ${kind}: checks counted`);
    t.match(span.resource, {
      'service.name': 'vigil-from-env',
      'service.version': JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
      'k8s.node.name': 'trace-node',
      'k8s.pod.name': 'vigil-7x2kq',
      'k8s.namespace.name': 'monitoring',
      'deployment.environment.name': 'ci',
      'telemetry.sdk.language': 'nodejs',
    });
    t.type(span.resource['host.name'], 'string');
  }
  t.match(succeeded('disk')?.attributes, { 'vigil.check.disk:utilization.component_id': '/', 'vigil.check.disk:utilization.observed_value': Number });
  const memory = succeeded('memory') as ReceivedSpan;
  t.match(memory, {
    attributes: { 'vigil.probe.status': 'fail', 'vigil.check.memory:utilization.status': 'fail', 'vigil.check.memory:utilization.observed_value': Number },
    status: { code: STATUS.ERROR, message: /memory:utilization .* fails/ },
  });

  // Datastore probes: the driver calls are CLIENT children of the run's span, in its trace.
  const datastoreRun = (kind: string, target: string) =>
    runs(kind).find((r) => r.attributes['vigil.probe.name'] === `${kind}/${target}` && receiver.spans.some((c) => c.parentSpanId === r.spanId));
  await waitFor(() => Boolean(datastoreRun('postgres', 'db') && datastoreRun('redis', 'cache') && datastoreRun('redis', 'cache-bad-auth')), 20_000, 50);
  for (const [kind, target, system, names] of [
    ['postgres', 'db', 'postgresql', ['SELECT']],
    ['redis', 'cache', 'redis', ['PING', 'INFO']],
  ] as const) {
    const parent = datastoreRun(kind, target) as ReceivedSpan;
    const children = receiver.spans.filter((c) => c.parentSpanId === parent.spanId);
    for (const name of names) {
      const child = children.find((c) => c.name === name);
      t.match(
        child,
        { kind: SPAN_KIND.CLIENT, traceId: parent.traceId, attributes: { 'db.system.name': system } },
        `${kind} ${name} is a child span of the run`,
      );
    }
  }
  const badAuth = runs('redis').filter((r) => r.attributes['vigil.probe.name'] === 'redis/cache-bad-auth');
  t.ok(badAuth.length > 0 && badAuth.every((r) => r.status.code === STATUS.ERROR), 'a target failing authentication gives ERROR runs');
  t.notMatch(receiver.bodies.join('\n'), /tr4ce-s3cret/, 'the password in a target URL never reaches the collector');

  // The transition line of the memory check was written during the first memory run.
  const lines = stdoutLines(agent);
  const transition = lines.find((l) => l.event === 'check.transition' && (l.details as Record<string, unknown>).check === 'memory:utilization');
  t.ok(transition, 'memory:utilization turning fail was logged');
  const run = runs('memory').find((s) => s.spanId === transition?.span_id);
  t.ok(run, 'the log line carries the span_id of a memory run');
  t.match(transition, { trace_id: run?.traceId }, 'and its trace_id');
  t.match(run, { status: { code: STATUS.ERROR } }, 'that run is the failing one');

  // /health/detailed gets a SERVER span; /ready and /metrics, polled by machines, do not.
  await fetch(`${agent.base}/health/detailed`, { headers: { 'x-request-id': 'detailed-1' } });
  await fetch(`${agent.base}/ready`);
  await fetch(`${agent.base}/metrics`);
  await waitFor(() => receiver.spans.some((s) => s.kind === SPAN_KIND.SERVER), 10_000, 50);
  await waitFor(() => agent.lines.some((l) => l.includes('"request_id":"detailed-1"')), 5000, 20);
  const server = receiver.spans.filter((s) => s.kind === SPAN_KIND.SERVER);
  t.same(
    server.map((s) => s.attributes['http.route']),
    ['/health/detailed'],
  );
  const access = stdoutLines(agent).find((l) => l.request_id === 'detailed-1');
  t.match(access, { trace_id: server[0]?.traceId, span_id: server[0]?.spanId });
  t.equal(await metricValue(agent.base, /^vigil_tracing_enabled (\d+)$/m), 1);

  agent.child.kill('SIGTERM');
  t.equal(await agent.exit, 0, 'exits 0');
  const stopped = stdoutLines(agent).find((l) => l.event === 'tracing.stopped');
  t.match(stopped, { level: 'INFO', details: { flushed: true, spans_lost_at_shutdown: 0 } }, 'spans flushed at shutdown');
  const exported = receiver.spans.length;
  t.equal((stopped?.details as Record<string, unknown> | undefined)?.spans_exported_total, exported, 'everything the agent exported reached the receiver');
  const invalid = stdoutLines(agent).flatMap((l) => logLineErrors(l));
  t.same(invalid, [], 'every line in the log schema');
  t.same(
    stdoutLines(agent)
      .filter((l) => l.level === 'WARN' || l.level === 'ERROR')
      .filter((l) => String(l.event).startsWith('tracing.')),
    [],
    'no tracing warnings with a healthy collector',
  );
});

/**
 * Requests /health from `workers` loops, each pausing `pauseMs` between requests, until `until`;
 * returns every latency (ms) and status. Paced (a few hundred requests a second), so that what
 * the RSS readings show is the agent's memory, not V8 growing its heap under a flood.
 */
async function hammer(base: string, until: number, workers: number, pauseMs = 15): Promise<{ ms: number[]; statuses: Set<number> }> {
  const ms: number[] = [];
  const statuses = new Set<number>();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const t0 = performance.now();
        const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        ms.push(performance.now() - t0);
        statuses.add(res.status);
        await delay(pauseMs);
      }
    }),
  );
  return { ms, statuses };
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

for (const scenario of ['unreachable', 'slow'] as const) {
  t.test(
    `a collector that is ${scenario === 'unreachable' ? 'down (port closed)' : 'slow (never answers)'}: healthy agent, bounded memory, drops counted, one WARN`,
    async (t) => {
      const receiver = await startReceiver();
      t.teardown(() => receiver.close());
      let endpoint = receiver.url;
      if (scenario === 'unreachable') {
        endpoint = `http://127.0.0.1:${await freePort()}`; // nothing listens there
      } else {
        receiver.hang = true;
      }
      const maxQueue = 50;
      const dir = t.testdir({
        'vigil.yaml': [
          'http:',
          '  host: 127.0.0.1',
          '  drain_delay: 200ms',
          'defaults:',
          '  interval: 500ms',
          '  timeout: 400ms',
          'probes:',
          '  disk:',
          '    mount_points_include: "^/$"',
          'tracing:',
          `  endpoint: ${endpoint}`,
          '  protocol: http/json',
          '  export_timeout: 1s',
          `  max_queue_size: ${maxQueue}`,
          '  # /health too, so that the load below makes thousands of spans',
          '  http_routes: [/health/detailed, /health]',
          '',
        ].join('\n'),
      });
      const port = await freePort();
      // (Under tap the agent runs with the coverage hooks tap injects into every child process,
      // which roughly doubles its RSS; the bench measures the real figures.)
      const agent = spawnAgent(port, ['--config', `${dir}/vigil.yaml`], { OTEL_BSP_SCHEDULE_DELAY: '100' });
      t.teardown(() => agent.child.kill('SIGKILL'));
      await waitFor(async () => (await fetch(`${agent.base}/ready`).catch(() => null))?.status === 200, 20_000, 50);

      // Warm up, then keep the agent under load with the collector failing, reading its memory.
      await hammer(agent.base, Date.now() + 3000, 4);
      const rss: number[] = [rssBytes(agent.child.pid as number)];
      let maxQueued = 0;
      const load = hammer(agent.base, Date.now() + 12_000, 4);
      for (let i = 0; i < 12; i++) {
        await delay(1000);
        rss.push(rssBytes(agent.child.pid as number));
        maxQueued = Math.max(maxQueued, await metricValue(agent.base, /^vigil_tracing_queue_spans (\d+)$/m));
      }
      const { ms, statuses } = await load;
      t.same([...statuses], [200], `/health answered 200 to all ${ms.length} requests`);
      const sorted = [...ms].sort((a, b) => a - b);
      const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
      t.ok(ms.length > 1000, `over a thousand traced requests (${ms.length})`);
      t.ok(p99 < 1000, `/health stays fast: p99 ${p99.toFixed(1)} ms`);
      t.ok(maxQueued <= maxQueue, `queue bounded: at most ${maxQueued} of ${maxQueue} spans waiting`);
      // RSS may rise at first while V8 sizes its heap; what must not happen is steady growth: the
      // second half of the run stays within a bound. (The retained heap, after forced garbage
      // collections, is measured exactly in the in-process test above.)
      const mib = (b: number) => (b / 1048576).toFixed(0);
      const lateGrowth = ((rss.at(-1) as number) - (rss[6] as number)) / 1048576;
      t.ok(lateGrowth < 40, `RSS levels off: ${rss.map(mib).join(' → ')} MiB (last 6 s: ${lateGrowth.toFixed(1)} MiB)`);

      const failed = await metricValue(agent.base, /^vigil_tracing_spans_dropped_total\{reason="export_failed"\} (\d+)$/m);
      const full = await metricValue(agent.base, /^vigil_tracing_spans_dropped_total\{reason="queue_full"\} (\d+)$/m);
      const failures = await metricValue(agent.base, /^vigil_tracing_export_failures_total (\d+)$/m);
      const exported = await metricValue(agent.base, /^vigil_tracing_spans_exported_total (\d+)$/m);
      t.ok(failures >= 1, `failed exports counted (${failures})`);
      t.ok(failed + full > ms.length / 2, `spans dropped and counted: ${failed} export_failed + ${full} queue_full for ${ms.length} requests`);
      t.ok(full > 0, 'the queue filled up and the overflow was counted');
      t.equal(exported, 0, 'nothing exported');

      // (Probe runs may time out on a loaded machine: those lines are the runner's, not tracing's.)
      const warns = stdoutLines(agent).filter((l) => l.component === 'tracing' && (l.level === 'WARN' || l.level === 'ERROR'));
      t.equal(warns.length, 1, 'one tracing WARN for 15 s of failures, not one per failed export');
      t.match(warns[0], { event: /^tracing\.(export_failed|queue_full)$/ });
      t.notOk(warns[0]?.trace_id, 'not attributed to a span');

      // Shutdown is bounded even with the collector failing: drain 200 ms + flush ≤ 3 s.
      const stopping = Date.now();
      agent.child.kill('SIGTERM');
      t.equal(await agent.exit, 0);
      t.ok(Date.now() - stopping < 10_000, `stopped in ${Date.now() - stopping} ms`);
      // What could not be flushed is counted and said once (WARN when spans were lost).
      t.match(
        stdoutLines(agent).find((l) => l.event === 'tracing.stopped'),
        { details: { spans_lost_at_shutdown: Number } },
      );
      for (const line of stdoutLines(agent)) t.same(logLineErrors(line), []);
    },
  );
}
