// The http kind's config (targets, env list, headers, expect_status, matches, TLS, timeouts),
// JSON paths and health documents, and the p95.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import type { HttpOptions } from '../../src/probes/http/index.ts';
import { healthOf, isJsonType, parseJsonPath, valueAt } from '../../src/probes/http/json.ts';
import { p95 } from '../../src/probes/http/probe.ts';
import { tlsVersionLabel, networkReason } from '../../src/probes/http/network.ts';
import { httpConfig } from '../../src/probes/http/config.ts';

function resolve(section: unknown, env: NodeJS.ProcessEnv = {}) {
  const problems: string[] = [];
  const out = httpConfig.resolve({ section: httpConfig.schema.parse(section), defaults: BUILTIN_SCHEDULE, env }, (p, m) => problems.push(`${p}: ${m}`));
  return { out, options: out.map((s) => s.options as HttpOptions), problems };
}

t.test('targets from the file and VIGIL_HTTP_URL: names, defaults, redacted display', async (t) => {
  const { out, options, problems } = resolve(
    {
      thresholds: { latency: { warn: 0.5 } },
      targets: [
        {
          name: 'orders',
          url: 'https://user:hunter2@orders.internal/health?token=abc',
          method: 'HEAD',
          headers: { Authorization: { file: '/var/run/secrets/token', prefix: 'Bearer ' }, 'X-Env': 'prod' },
          expect_status: [200, '3xx', '401-403'],
          follow_redirects: true,
          keep_alive: false,
          interval: '30s',
          critical: true,
          tls: { ca_file: '/etc/ca.pem' },
          thresholds: { latency: { fail: 2 } },
        },
      ],
    },
    { VIGIL_HTTP_URL: 'http://sidecar:8080/healthz, https://api.example' },
  );
  t.same(problems, []);
  t.same(
    out.map((s) => s.name),
    ['http/orders', 'http/sidecar:8080', 'http/api.example:443'],
  );
  const [orders, sidecar, api] = options;
  t.equal(orders?.display, 'https://user:***@orders.internal/health', 'password masked, query dropped');
  t.match(orders, {
    method: 'HEAD',
    maxRedirects: 5,
    keepAlive: false,
    requestTimeoutMs: 4000,
    maxBodyBytes: 1048576,
    latencyWindow: 20,
    expectText: '200, 3xx, 401-403',
  });
  t.same(orders?.expect, [
    { from: 200, to: 200 },
    { from: 300, to: 399 },
    { from: 401, to: 403 },
  ]);
  t.same(orders?.headers, [
    { name: 'Authorization', file: '/var/run/secrets/token', prefix: 'Bearer ', key: 'headers.Authorization.file' },
    { name: 'X-Env', value: 'prod' },
  ]);
  t.equal(orders?.tls?.caFile, '/etc/ca.pem');
  t.same(
    orders?.thresholds.latency.levels.map((l) => [l.status, l.at]),
    [
      ['warn', 1],
      ['fail', 2],
    ],
    "the target's latency levels replace the section's",
  );
  t.equal(out[0]?.schedule.critical, true);
  t.match(sidecar, { method: 'GET', maxRedirects: 0, keepAlive: true, tls: null, expectText: '2xx' });
  t.same(
    sidecar?.thresholds.latency.levels.map((l) => l.at),
    [0.5, 3],
  );
  t.equal(api?.tls?.insecure, false, 'https:// verifies with the system CAs by default');
});

t.test('problems are reported with their path, never echoing a URL or a header value', async (t) => {
  const bad = resolve(
    {
      timeout: '1s',
      targets: [
        { name: 'a', url: 'http://h/', tls: { insecure_skip_verify: true } },
        { name: 'b', url: 'http://h/', body: { contains: 'x', regex: 'y' } },
        { name: 'c', url: 'http://h/', body: { regex: '(' } },
        { name: 'd', url: 'http://h/', method: 'HEAD', json: { path: 'status', equals: 'up' } },
        { name: 'e', url: 'http://h/', json: { path: 'a..b', equals: 1 } },
        { name: 'f', url: 'http://h/', request_timeout: '2s', expect_status: ['299-200'] },
        { name: 'g', url: 'http://h/', headers: { Host: 'x' } },
      ],
    },
    { VIGIL_HTTP_URL: 'ftp://u:s3cret@h' },
  );
  t.same(bad.problems, [
    'targets.0.url: TLS settings need an https:// URL',
    'targets.1.body: needs exactly one of contains and regex',
    'targets.2.body.regex: is not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
    'targets.3.json: needs a body: HEAD has none (use GET)',
    'targets.4.json.path: must be a path such as status, checks.db[0].status or $.data.state',
    'targets.5.expect_status.0: must be a range from low to high',
    "targets.5.request_timeout: must be shorter than the probe's timeout (1s)",
    'targets.6.headers.Host: is set by the client itself',
    '(VIGIL_HTTP_URL item 1).url: must be an http:// or https:// URL',
  ]);
  t.notMatch(bad.problems.join('\n'), /s3cret/);
  t.throws(() => httpConfig.schema.parse({ targets: [{ url: 'tcp://h:1' }] }));
  t.throws(() => httpConfig.schema.parse({ targets: [{ url: 'http://h', headers: { 'X-A': 'one\ntwo' } }] }));
  t.throws(() => httpConfig.schema.parse({ targets: [{ url: 'http://h', expect_status: ['2x'] }] }));
  t.throws(() => httpConfig.schema.parse({ targets: [{ url: 'http://h', method: 'POST' }] }));
  t.throws(() => httpConfig.schema.parse({ targets: [{ url: 'http://h', thresholds: { latency: { warn: 3, fail: 1 } } }] }));
  const dup = resolve({ targets: [{ url: 'http://h/a' }, { url: 'http://h/b' }] });
  t.match(dup.problems, [/targets\.1\.name: h:80 is already used by targets\.0/]);
});

t.test('JSON paths, fields and health documents', async (t) => {
  t.same(parseJsonPath('status'), ['status']);
  t.same(parseJsonPath('$.data.items[2].state'), ['data', 'items', 2, 'state']);
  t.same(parseJsonPath('checks["db:ping"][0].status'), ['checks', 'db:ping', 0, 'status']);
  for (const bad of ['', '$', 'a..b', 'a[x]', 'a[']) t.equal(parseJsonPath(bad), undefined, bad);
  const doc = { data: { items: [1, 2, { state: 'ok' }] }, n: null };
  t.equal(valueAt(doc, ['data', 'items', 2, 'state']), 'ok');
  t.equal(valueAt(doc, ['n']), null);
  t.equal(valueAt(doc, ['data', 'items', 'length']), undefined, 'no property of an array by name');
  t.equal(valueAt(doc, ['data', 0]), undefined);
  t.equal(valueAt(doc, ['toString']), undefined, 'own fields only');
  t.ok(isJsonType('application/json; charset=utf-8'));
  t.ok(isJsonType('application/health+json'));
  t.notOk(isJsonType('text/html'));
  t.same(healthOf({ status: 'warn' }, false), { status: 'warn', said: 'warn' });
  t.same(healthOf({ status: 'UP' }, false), { status: 'pass', said: 'UP' });
  t.same(healthOf({ status: 'down' }, false), { status: 'fail', said: 'down' });
  t.equal(healthOf({ status: 'green' }, false), undefined, 'plain JSON with another status is not a health document');
  t.same(healthOf({ status: 'green' }, true), { status: 'fail', said: 'green' }, 'health+json with an unknown status fails');
  t.equal(healthOf([{ status: 'pass' }], false), undefined);
});

t.test('p95, TLS version labels, OpenSSL reasons', async (t) => {
  t.equal(p95([0.2]), 0.2);
  t.equal(p95(Array.from({ length: 20 }, (_, i) => i + 1)), 19, 'nearest rank: the 19th of 20');
  t.equal(p95([5, 1, 3, 2, 4]), 5);
  t.equal(tlsVersionLabel('TLSv1.3'), 'TLS 1.3');
  t.equal(tlsVersionLabel('TLSv1'), 'TLS 1.0');
  t.equal(tlsVersionLabel(null), undefined);
  t.equal(
    networkReason(new Error('40ED:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../x.c:918:SSL alert number 116')),
    'tlsv13 alert certificate required',
  );
  t.equal(networkReason(new Error('certificate has expired')), 'certificate has expired');
});

t.test("the http kind does not load Node's bundled HTTP client (undici) by being registered", async (t) => {
  // In a process of its own: the test runner may load undici itself.
  const code = `await import('./src/probes/registry.ts'); await import('./src/probes/http/request.ts');
    process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  t.same(JSON.parse(out), []);
});
