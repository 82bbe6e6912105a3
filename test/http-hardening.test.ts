// Hardening of the agent's own HTTP surface, driven with inject(): what an attacker can make
// it log, what it accepts, who may read what.
import t from 'tap';
import { buildApp, type AppDeps } from '../src/http/app.ts';
import { CheckStore } from '../src/checks/store.ts';
import { MetricStore } from '../src/metrics/family.ts';
import { registerCoreMetrics } from '../src/metrics/core.ts';
import { captureLogs, logLineErrors, schedule, valueCollection } from './helpers.ts';

function setup(extra: Partial<AppDeps> = {}) {
  const logs = captureLogs('info');
  const checks = new CheckStore();
  const metrics = new MetricStore();
  registerCoreMetrics(metrics, checks);
  checks.record('test', schedule({ critical: true }), valueCollection(10).checks, new Date());
  const app = buildApp({
    checks,
    metrics,
    service: { name: 'vigil', description: 'test agent' },
    identity: { nodeName: 'node-a', podName: 'vigil-xyz', namespace: 'monitoring', hostname: 'host-a' },
    logger: logs.logger,
    liveness: () => ({ healthy: true, eventLoopDelayMs: 1 }),
    firstRoundDone: () => true,
    shuttingDown: () => false,
    ...extra,
  });
  t.teardown(() => app.close());
  return { app, logs, metrics };
}

t.test('5,000 requests with a 7 KB path and a 7 KB User-Agent log a bounded number of bytes', async (t) => {
  const { app, logs } = setup();
  const path = `/${'a'.repeat(7 * 1024)}`;
  const userAgent = 'u'.repeat(7 * 1024);
  for (let i = 0; i < 5000; i++) {
    const res = await app.inject({ url: path, headers: { 'user-agent': userAgent } });
    if (res.statusCode !== 404) t.fail(`status ${res.statusCode}`);
  }
  // The limiter refills 2 lines a second: after a pause, the next line is let through and says
  // how many were left out (on a fast machine all 5,000 fit in the first burst's second).
  await new Promise((resolve) => setTimeout(resolve, 600));
  await app.inject({ url: path, headers: { 'user-agent': userAgent } });
  const bytes = logs.raw.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  t.comment(`log bytes for 5,001 requests: ${bytes} in ${logs.raw.length} lines`);
  t.ok(bytes < 200_000, `log bytes ${bytes} < 200 kB`);
  for (const line of logs.lines.filter((l) => l.event === 'http.access')) {
    t.ok(String(line.path).length <= 300, 'path truncated');
    t.ok(String((line.details as Record<string, unknown>).user_agent).length <= 300, 'user agent truncated');
    t.notMatch(String(line.message), /aaaa/, 'the path is not repeated in the message');
    t.same(logLineErrors(line), []);
  }
  const accessLines = logs.lines.filter((l) => l.event === 'http.access').length;
  const metrics = await app.inject('/metrics');
  t.match(metrics.body, new RegExp(`^vigil_http_access_log_suppressed_total ${5001 - accessLines}$`, 'm'), 'every line left out is counted');
  t.match(logs.lines.at(-1), { details: { suppressed_before: Number } }, 'a line after a gap says how many were left out');
});

t.test('request bodies are refused at once and the connection closed', async (t) => {
  const { app } = setup();
  for (const req of [
    { method: 'POST' as const, url: '/metrics', payload: 'x'.repeat(10) },
    { method: 'GET' as const, url: '/health', headers: { 'content-length': '100000' } },
    { method: 'PUT' as const, url: '/nope', headers: { 'transfer-encoding': 'chunked' }, payload: 'abc' },
  ]) {
    const res = await app.inject(req);
    t.equal(res.statusCode, 413, `${req.method} ${req.url} with a body`);
    t.equal(res.headers.connection, 'close');
  }
  t.equal((await app.inject('/health')).statusCode, 200, 'a GET without a body is answered');
  t.match((await app.inject('/metrics')).body, /^vigil_http_requests_rejected_total\{reason="body"\} 3$/m);
});

t.test('beyond max_concurrent_metrics, /metrics answers 503 with Retry-After; the slot frees when the answer is sent', async (t) => {
  const { app } = setup({ maxConcurrentMetrics: 2 });
  const answers = await Promise.all(Array.from({ length: 6 }, () => app.inject('/metrics')));
  const busy = answers.filter((r) => r.statusCode === 503);
  t.ok(answers.filter((r) => r.statusCode === 200).length >= 2, 'two renders at once');
  t.ok(busy.length >= 1, `${busy.length} of 6 concurrent scrapes refused`);
  for (const r of busy) {
    t.equal(r.headers['retry-after'], '1');
    t.match(r.body, /busy/);
  }
  for (let i = 0; i < 5; i++) t.equal((await app.inject('/metrics')).statusCode, 200, 'sequential scrapes all answered');
  t.equal((await app.inject('/health')).statusCode, 200);
});

t.test('/health/detailed: full details with the bearer token, status and check names without (when-authorized)', async (t) => {
  let token = Buffer.from('s3cret-token');
  const { app } = setup({ healthDetails: 'when-authorized', token: () => token });
  const open = await app.inject('/health/detailed');
  t.equal(open.statusCode, 200);
  t.same(open.json(), { status: 'pass', checks: { 'test:value': [{ status: 'pass' }] } }, 'minimal view: no hosts, users, versions, node or pod');
  t.notMatch(open.body, /node-a|vigil-xyz|host-a|componentId/);
  const full = await app.inject({ url: '/health/detailed', headers: { authorization: 'Bearer s3cret-token' } });
  t.equal(full.json().node.name, 'node-a', 'the token shows everything');
  const wrong = await app.inject({ url: '/health/detailed', headers: { authorization: 'Bearer guess' } });
  t.equal(wrong.statusCode, 401);
  t.match(wrong.headers['www-authenticate'], /error="invalid_token"/);
  t.notMatch(wrong.body, /s3cret/);
  token = Buffer.from('rotated');
  t.equal(
    (await app.inject({ url: '/health/detailed', headers: { authorization: 'Bearer s3cret-token' } })).statusCode,
    401,
    'a rotated token replaces the old one',
  );
  t.equal((await app.inject({ url: '/health/detailed', headers: { authorization: 'bearer rotated' } })).json().node.name, 'node-a');
  t.equal((await app.inject('/metrics')).statusCode, 200, '/metrics stays open unless auth.metrics');
  for (const path of ['/health', '/ready']) t.equal((await app.inject(path)).statusCode, 200, `${path} needs no token (kubelet)`);
});

t.test('health_details never hides details even with a token; always shows them without one', async (t) => {
  const never = setup({ healthDetails: 'never', token: () => Buffer.from('t') });
  t.same(Object.keys((await never.app.inject({ url: '/health/detailed', headers: { authorization: 'Bearer t' } })).json()).sort(), ['checks', 'status']);
  const always = setup({ healthDetails: 'always' });
  t.equal((await always.app.inject('/health/detailed')).json().node.name, 'node-a');
});

t.test('auth.metrics: /metrics needs the token', async (t) => {
  const { app } = setup({ token: () => Buffer.from('m-token'), metricsNeedToken: true });
  const none = await app.inject('/metrics');
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer realm="vigil"');
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer m-token' } })).statusCode, 200);
  t.match(
    (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer m-token' } })).body,
    /^vigil_http_requests_rejected_total\{reason="unauthorized"\} 1$/m,
  );
});

t.test('the probe listener serves /health and /ready only', async (t) => {
  const { app } = setup({ routes: 'probes' });
  t.equal((await app.inject('/health')).statusCode, 200);
  t.equal((await app.inject('/ready')).statusCode, 200);
  for (const path of ['/metrics', '/health/detailed']) t.equal((await app.inject(path)).statusCode, 404, `${path} is not on the probe port`);
});
