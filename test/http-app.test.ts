import t from 'tap';
import { buildApp, accessLevel } from '../src/http/app.ts';
import { CheckStore } from '../src/checks/store.ts';
import { MetricStore } from '../src/metrics/family.ts';
import { registerCoreMetrics } from '../src/metrics/core.ts';
import { registerRuntimeMetrics } from '../src/metrics/runtime.ts';
import { EventLoopWatch } from '../src/metrics/event-loop.ts';
import { captureLogs, logLineErrors, schedule, valueCollection } from './helpers.ts';

function setup(opts: { critical?: boolean; value?: number; firstRoundDone?: boolean } = {}) {
  const logs = captureLogs();
  const checks = new CheckStore();
  const metrics = new MetricStore();
  registerCoreMetrics(metrics, checks);
  const watch = new EventLoopWatch();
  const runtime = registerRuntimeMetrics(metrics, watch);
  t.teardown(() => {
    watch.close();
    runtime.close();
  });
  const state = { firstRoundDone: opts.firstRoundDone ?? true, shuttingDown: false, healthy: true };
  if (opts.value !== undefined) checks.record('test', schedule({ critical: opts.critical ?? false }), valueCollection(opts.value).checks, new Date());
  const app = buildApp({
    checks,
    metrics,
    service: { name: 'vigil', description: 'test agent' },
    identity: { nodeName: 'node-a', podName: 'vigil-xyz', namespace: 'monitoring', hostname: 'host-a' },
    logger: logs.logger,
    liveness: () => ({ healthy: state.healthy, eventLoopDelayMs: state.healthy ? 1 : 2500 }),
    firstRoundDone: () => state.firstRoundDone,
    shuttingDown: () => state.shuttingDown,
  });
  return { app, logs, state, checks };
}

t.test('/health is liveness only', async (t) => {
  const { app, state } = setup({ value: 99, critical: true });
  let res = await app.inject('/health');
  t.equal(res.statusCode, 200, 'a failing critical check does not fail liveness');
  t.match(res.headers['content-type'], /application\/health\+json/);
  t.same(res.json(), { status: 'pass', serviceId: 'vigil' });
  state.healthy = false;
  res = await app.inject('/health');
  t.equal(res.statusCode, 503);
  t.match(res.json().output, /event loop delay 2500 ms/);
});

t.test('/ready follows first round, critical checks and shutdown', async (t) => {
  const before = setup({ firstRoundDone: false });
  let res = await before.app.inject('/ready');
  t.equal(res.statusCode, 503);
  t.match(res.body, /first round/);

  const warnCritical = setup({ value: 75, critical: true });
  t.equal((await warnCritical.app.inject('/ready')).statusCode, 200, 'warn does not gate');

  const failOptional = setup({ value: 99, critical: false });
  t.equal((await failOptional.app.inject('/ready')).statusCode, 200, 'non-critical fail does not gate');
  res = await failOptional.app.inject('/ready?verbose');
  t.match(res.body, /^\[\+\]test:value c1 fail: .* \(not critical\)$/m);
  t.match(res.body, /readyz check passed\n$/);

  const failCritical = setup({ value: 99, critical: true });
  res = await failCritical.app.inject('/ready?verbose');
  t.equal(res.statusCode, 503);
  t.match(res.body, /^\[-\]test:value c1 fail/m);
  t.match(res.body, /readyz check failed/);

  const ok = setup({ value: 10, critical: true });
  res = await ok.app.inject('/ready?verbose');
  t.equal(res.statusCode, 200);
  t.match(res.body, /^\[\+\]test:value c1 ok$/m);
  ok.state.shuttingDown = true;
  res = await ok.app.inject('/ready');
  t.equal(res.statusCode, 503);
  t.equal(res.body, 'not ready: shutting down\n');
});

t.test('/health/detailed is application/health+json with Vigil additions', async (t) => {
  const { app } = setup({ value: 75 });
  const res = await app.inject('/health/detailed');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/health\+json/);
  const doc = res.json();
  t.equal(doc.status, 'warn');
  t.equal(doc.serviceId, 'vigil');
  t.equal(doc.description, 'test agent');
  t.same(doc.node, { name: 'node-a', pod: 'vigil-xyz', namespace: 'monitoring', host: 'host-a' });
  const [entry] = doc.checks['test:value'];
  t.match(entry, {
    componentId: 'c1',
    componentType: 'component',
    observedValue: 75,
    observedUnit: 'percent',
    status: 'warn',
    severity: 'SEV3',
    playbook: 'Severe Performance Degradation',
    critical: false,
    thresholds: {
      direction: 'above',
      levels: [
        { status: 'warn', value: 70, severity: 'SEV3' },
        { status: 'fail', value: 90, severity: 'SEV2' },
      ],
    },
  });
  t.ok(!Number.isNaN(Date.parse(entry.time)) && !Number.isNaN(Date.parse(entry.since)));
  const failing = setup({ value: 95 });
  t.equal((await failing.app.inject('/health/detailed')).statusCode, 503);
});

t.test('/metrics renders Prometheus text, or OpenMetrics when asked', async (t) => {
  const { app } = setup({ value: 95 });
  let res = await app.inject('/metrics');
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.match(res.body, /^vigil_check_status\{check="test:value",component_id="c1"\} 2$/m);
  t.match(res.body, /^vigil_build_info\{version="[^"]+",revision="[^"]+",nodejs_version="v24\./m);
  t.match(res.body, /^# TYPE vigil_probe_duration_seconds histogram$/m);
  t.match(res.body, /^process_resident_memory_bytes \d+$/m);
  t.match(res.body, /^process_cpu_seconds_total [\d.e-]+$/m);
  t.match(res.body, /^nodejs_heap_size_used_bytes \d+$/m);
  t.match(res.body, /^nodejs_eventloop_utilization_ratio [\d.e-]+$/m);
  const prometheusAccept =
    'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
  res = await app.inject({ url: '/metrics', headers: { accept: prometheusAccept } });
  t.match(res.headers['content-type'], /^application\/openmetrics-text; version=1\.0\.0/);
  t.match(res.body, /# EOF\n$/);
  t.match(res.body, /^# TYPE process_cpu_seconds counter$/m, 'OpenMetrics counter family without _total');
  res = await app.inject('/metrics');
  t.match(res.body, /^# TYPE process_cpu_seconds_total counter$/m, 'text format unaffected by an OpenMetrics scrape');
});

t.test('request ids are honoured or generated, echoed and logged', async (t) => {
  const { app, logs } = setup({ value: 10 });
  let res = await app.inject({ url: '/health/detailed', headers: { 'x-request-id': 'abc', 'x-correlation-id': 'flow-7' } });
  t.equal(res.headers['x-request-id'], 'abc');
  const line = logs.lines.find((l) => l.request_id === 'abc');
  t.match(line, { level: 'INFO', component: 'http', path: '/health/detailed', status: 200, correlation_id: 'flow-7', event: 'http.access' });
  t.type(line?.duration_ms, 'number');
  res = await app.inject({ url: '/ready', headers: { 'x-request-id': 'bad id with spaces' } });
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'invalid id replaced by a UUID');
  t.equal(logs.lines.at(-1)?.level, 'DEBUG', '/ready access lines are DEBUG');
  res = await app.inject('/nope?x=1');
  t.equal(res.statusCode, 404);
  t.match(logs.lines.at(-1), { level: 'WARN', path: '/nope', status: 404 });
  for (const l of logs.lines) t.same(logLineErrors(l), []);
});

t.test('access log levels', async (t) => {
  t.equal(accessLevel('/metrics', 200), 'debug');
  t.equal(accessLevel('/ready', 503), 'debug');
  t.equal(accessLevel('/health/detailed', 503), 'info');
  t.equal(accessLevel('/other', 500), 'error');
});
