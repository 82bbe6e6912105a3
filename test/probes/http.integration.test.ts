// The http probe against real servers on loopback: Node http/https servers and openssl
// s_server with certificates made here, a port that never answers, a slow answer, 500s, a
// redirect loop, a 50 MB body, a health+json target in warn, TLS that does not verify.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpProbe } from '../../src/probes/http/probe.ts';
import * as m from '../../src/probes/http/metadata.ts';
import type { Collection } from '../../src/probes/types.ts';
import { blackhole } from '../servers/net.ts';
import { certificates, httpServer, opensslServer } from '../servers/http.ts';
import { checkOf, context, hostAt, live, settingsOf, valueOf, verdict } from './helpers.ts';
import { captureSpans, metricValue, spansText, startAgent } from '../servers/agent.ts';
import { runCheckCommand } from '../../src/check-command.ts';
import { resolveConfig } from '../../src/config/load.ts';
import { PROBE_KINDS } from '../../src/probes/registry.ts';
import { captureLogs } from '../helpers.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';
import { httpConfig } from '../../src/probes/http/config.ts';

type Target = Record<string, unknown>;

function probeOf(t: { teardown(fn: () => unknown): void }, target: Target, section: Target = {}): HttpProbe {
  const probe = new HttpProbe(settingsOf(httpConfig, { ...section, targets: [{ name: 'api', ...target }] }), context(hostAt('/')));
  t.teardown(() => probe.stop());
  return probe;
}

const status = (c: Collection) => checkOf(c, 'http:status', 'api');
const latency = (c: Collection) => checkOf(c, 'http:latency', 'api');
const phase = (c: Collection, name: string) => valueOf(c, m.duration, { target: 'api', phase: name });

t.test('a 200 over one kept connection: phases, status code, content length', async (t) => {
  const server = await httpServer(t, (_req, res) => res.end('hello'));
  const probe = probeOf(t, { url: server.url('/ping') });
  const first = await probe.collect(live());
  t.same(verdict(status(first)), { status: 'pass', severity: null });
  t.equal(status(first)?.output, '200 OK');
  t.equal(valueOf(first, m.up, { target: 'api' }), 1);
  t.equal(valueOf(first, m.statusCode, { target: 'api' }), 200);
  t.equal(valueOf(first, m.contentLength, { target: 'api' }), 5);
  t.ok((phase(first, 'connect') ?? 0) > 0, 'the first run connects');
  t.equal(phase(first, 'resolve'), 0, 'an IP is not resolved');
  t.match(latency(first)?.output, /^\d+(\.\d+)? s, p95 \d+(\.\d+)? s over the last 1 runs$/);
  const second = await probe.collect(live());
  await probe.collect(live());
  t.equal(phase(second, 'connect'), 0, 'the next run reuses the connection');
  t.equal(server.connections(), 1, 'three runs, one connection');
  t.match(latency(second)?.output, /over the last 2 runs/);
});

t.test('keep_alive: false opens one connection per run; localhost is resolved at every run', async (t) => {
  const server = await httpServer(t, (_req, res) => res.end('ok'));
  const probe = probeOf(t, { url: `http://localhost:${server.port}/`, keep_alive: false });
  for (let i = 0; i < 3; i++) {
    const c = await probe.collect(live());
    // localhost may resolve to ::1 first, where nothing listens: either way it was resolved.
    t.ok((phase(c, 'resolve') ?? 0) > 0 || status(c)?.status === 'fail', 'the name is looked up');
  }
  t.ok(server.connections() === 3 || server.connections() === 0, `a connection per run (${server.connections()})`);
});

t.test('500, an unexpected status, and expect_status ranges', async (t) => {
  const server = await httpServer(t, (req, res) => {
    res.statusCode = req.url === '/teapot' ? 418 : 500;
    res.end('no');
  });
  const c = await probeOf(t, { url: server.url('/') }).collect(live());
  t.same(verdict(status(c)), { status: 'fail', severity: 'SEV2' });
  t.equal(status(c)?.output, `${server.url('/')}: 500 Internal Server Error (expected 2xx)`);
  t.equal(status(c)?.observedValue, 500);
  t.equal(valueOf(c, m.up, { target: 'api' }), 0);
  t.equal(valueOf(c, m.statusCode, { target: 'api' }), 500);
  t.ok(latency(c), 'an answer, even a 500, has a latency');
  const teapot = await probeOf(t, { url: server.url('/teapot'), expect_status: ['2xx', '400-418'] }).collect(live());
  t.equal(status(teapot)?.status, 'pass', '418 is in 400-418');
});

t.test('a server that accepts TCP and never answers: timed out, with the phase', async (t) => {
  const hole = await blackhole();
  t.teardown(() => hole.close());
  const t0 = performance.now();
  const c = await probeOf(t, { url: `http://127.0.0.1:${hole.port}/`, timeout: '1s', request_timeout: '500ms' }).collect(live());
  t.ok(performance.now() - t0 < 900, 'gives up at request_timeout');
  t.equal(status(c)?.output, `http://127.0.0.1:${hole.port}/: timed out after 500ms (waiting for the first byte)`);
  t.equal(valueOf(c, m.up, { target: 'api' }), 0);
  t.equal(valueOf(c, m.statusCode, { target: 'api' }), 0);
  t.notOk(latency(c), 'no latency without an answer');
});

t.test('refused: the reason', async (t) => {
  const hole = await blackhole();
  const port = hole.port;
  await hole.close();
  const c = await probeOf(t, { url: `http://127.0.0.1:${port}/` }).collect(live());
  t.match(status(c)?.output, /ECONNREFUSED/);
});

t.test('an answer in 1.5 s: http:latency warns (≥ 1 s), p95 reported', async (t) => {
  const server = await httpServer(t, (_req, res) => setTimeout(() => res.end('slow'), 1500));
  const c = await probeOf(t, { url: server.url('/') }).collect(live());
  t.equal(status(c)?.status, 'pass');
  t.same(verdict(latency(c)), { status: 'warn', severity: 'SEV3' });
  t.match(latency(c)?.output, /^1\.5\d* s \(warn ≥ 1 s\), p95 1\.5/);
  t.ok((valueOf(c, m.latencyP95, { target: 'api' }) ?? 0) >= 1.5);
  t.ok((phase(c, 'processing') ?? 0) >= 1.4, 'the wait is processing time');
});

t.test('redirects: off by default, followed up to 5, a loop fails, tokens stay with their origin', async (t) => {
  const other = await httpServer(t, (_req, res) => res.end('elsewhere'));
  const server = await httpServer(t, (req, res) => {
    const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
    if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (hop) res.writeHead(302, { location: Number(hop[1]) > 0 ? `/hop/${Number(hop[1]) - 1}` : '/done' }).end();
    else if (req.url === '/away') res.writeHead(307, { location: other.url('/landing') }).end();
    else res.end('done');
  });
  const off = await probeOf(t, { url: server.url('/hop/1') }).collect(live());
  t.equal(status(off)?.output, `${server.url('/hop/1')}: 302 Found (expected 2xx)`, 'not followed by default');
  const followed = await probeOf(t, { url: server.url('/hop/2'), follow_redirects: true }).collect(live());
  t.equal(status(followed)?.output, '200 OK after 3 redirects');
  t.equal(valueOf(followed, m.redirects, { target: 'api' }), 3);
  const loop = await probeOf(t, { url: server.url('/loop'), follow_redirects: true }).collect(live());
  t.equal(status(loop)?.output, `${server.url('/loop')}: more than 5 redirects (the last to ${server.url('/loop')})`);
  t.equal(valueOf(loop, m.redirects, { target: 'api' }), 5);

  const away = await probeOf(t, { url: server.url('/away'), follow_redirects: true, headers: { 'X-Token': 'tok-123' } }).collect(live());
  t.equal(status(away)?.status, 'pass');
  t.equal(server.requests.at(-1)?.headers['x-token'], 'tok-123', 'sent to the configured origin');
  t.equal(other.requests.at(-1)?.headers['x-token'], undefined, 'not sent on to another origin');
});

t.test('a 50 MB body: read up to max_body_size, then dropped, without a memory spike', async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let written = 0;
  const server = await httpServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(800 * chunk.length) });
    const write = () => {
      while (written < 800) {
        written++;
        if (!res.write(chunk)) return void res.once('drain', write);
      }
      res.end();
    };
    res.on('error', () => undefined);
    write();
  });
  const probe = probeOf(t, { url: server.url('/big'), body: { contains: 'xxxx' } });
  global.gc?.();
  const before = process.memoryUsage();
  const c = await probe.collect(live());
  const after = process.memoryUsage();
  t.equal(status(c)?.status, 'pass', status(c)?.output ?? '');
  t.equal(valueOf(c, m.contentLength, { target: 'api' }), 52_428_800, 'the announced length');
  t.ok(probe.lastAnswer!.truncated, 'the rest was not read');
  t.ok(probe.lastAnswer!.bodyBytes <= 1024 * 1024 + chunk.length, `${probe.lastAnswer!.bodyBytes} bytes read`);
  t.equal(probe.lastAnswer!.keptBytes, 1024 * 1024, '1 MiB kept for the match, and not past the run');
  const grew = after.rss + after.arrayBuffers - before.rss - before.arrayBuffers;
  t.ok(grew < 24 * 1024 * 1024, `memory grew by ${Math.round(grew / 1024 / 1024)} MiB`);
  t.ok(written < 800, `the server could not send it all (${written} of 800 chunks)`);
  // The dropped connection is replaced at the next run.
  written = 0;
  t.equal(status(await probe.collect(live()))?.status, 'pass');
  t.equal(server.connections(), 2);
});

t.test('health JSON: warn surfaced as warn, JSON field and body matches', async (t) => {
  const server = await httpServer(t, (req, res) => {
    if (req.url === '/health/detailed') {
      res.setHeader('content-type', 'application/health+json');
      res.end(JSON.stringify({ status: 'warn', checks: { 'db:ping': [{ status: 'pass' }] } }));
    } else if (req.url === '/spring') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'DOWN' }));
    } else if (req.url === '/html') res.end('<p>status: fail</p>');
    else res.setHeader('content-type', 'application/json').end('{"data":{"state":"degraded","n":[1,2]}}');
  });
  const health = await probeOf(t, { url: server.url('/health/detailed') }).collect(live());
  t.equal(status(health)?.status, 'pass');
  const own = checkOf(health, 'http:health', 'api');
  t.same(verdict(own), { status: 'warn', severity: 'SEV3' });
  t.equal(own?.output, 'reports status "warn"');
  t.equal(verdict(checkOf(await probeOf(t, { url: server.url('/spring') }).collect(live()), 'http:health', 'api'))?.status, 'fail', 'DOWN fails');
  t.notOk(checkOf(await probeOf(t, { url: server.url('/html') }).collect(live()), 'http:health', 'api'), 'not JSON: no health');

  const field = await probeOf(t, { url: server.url('/health/detailed'), json: { path: 'checks["db:ping"][0].status', equals: 'pass' } }).collect(live());
  t.equal(status(field)?.status, 'pass');
  const wrong = await probeOf(t, { url: server.url('/data'), json: { path: '$.data.state', equals: 'ok' } }).collect(live());
  t.equal(status(wrong)?.output, `${server.url('/data')}: JSON $.data.state is "degraded", expected "ok"`);
  t.equal(valueOf(wrong, m.up, { target: 'api' }), 0);
  const missing = await probeOf(t, { url: server.url('/data'), json: { path: 'data.n[5]', equals: 1 } }).collect(live());
  t.match(status(missing)?.output, /JSON has no data\.n\[5\]$/);
  const notJson = await probeOf(t, { url: server.url('/html'), json: { path: 'status', equals: 'up' } }).collect(live());
  t.match(status(notJson)?.output, /body is not JSON/);
  t.equal(status(await probeOf(t, { url: server.url('/html'), body: { regex: 'status: (pass|fail)' } }).collect(live()))?.status, 'pass');
  t.equal(
    status(await probeOf(t, { url: server.url('/html'), body: { contains: 'all good' } }).collect(live()))?.output,
    `${server.url('/html')}: body does not contain the expected text`,
  );
});

t.test('HTTPS: a CA of our own, server_name, an unknown CA, a wrong name, an expired certificate, mutual TLS', async (t) => {
  const certs = certificates(t.testdir());
  const ok = await httpServer(t, (_req, res) => res.end('secure'), { tls: { cert: certs.serverCert, key: certs.serverKey } });
  const expired = await httpServer(t, (_req, res) => res.end('old'), { tls: { cert: certs.expiredCert, key: certs.expiredKey } });
  const mtls = await httpServer(t, (_req, res) => res.end('hello client'), {
    tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requestCert: true },
  });

  const verified = await probeOf(t, { url: ok.url('/'), tls: { ca_file: certs.ca } }).collect(live());
  t.equal(status(verified)?.output, '200 OK, TLS 1.3');
  t.ok((phase(verified, 'tls') ?? 0) > 0, 'the handshake is its own phase');
  t.equal(valueOf(verified, m.tlsVersion, { target: 'api', version: 'TLS 1.3' }), 1);
  const probe = probeOf(t, { url: ok.url('/'), tls: { ca_file: certs.ca, server_name: 'api.vigil.test' } });
  t.equal(status(await probe.collect(live()))?.status, 'pass', 'server_name names the certificate');
  t.match(probe.lastAnswer?.tls?.peerCertificate?.subject, { CN: '127.0.0.1' }, 'the peer certificate is kept for an expiry check');
  t.ok(probe.lastAnswer?.tls?.peerCertificate?.valid_to);

  const unknown = await probeOf(t, { url: ok.url('/') }).collect(live());
  t.same(verdict(status(unknown)), { status: 'fail', severity: 'SEV2' });
  t.match(status(unknown)?.output, /unable to verify the first certificate|unable to get local issuer certificate/);
  const otherCa = await probeOf(t, { url: ok.url('/'), tls: { ca_file: certs.otherCa } }).collect(live());
  t.match(status(otherCa)?.output, /unable to verify|local issuer/);
  const wrongName = await probeOf(t, { url: ok.url('/'), tls: { ca_file: certs.ca, server_name: 'other.vigil.test' } }).collect(live());
  t.match(status(wrongName)?.output, /Hostname\/IP does not match certificate's altnames: Host: other\.vigil\.test/);
  const old = await probeOf(t, { url: expired.url('/'), tls: { ca_file: certs.ca } }).collect(live());
  t.equal(status(old)?.output, `${expired.url('/')}: certificate has expired`);
  t.equal(status(await probeOf(t, { url: expired.url('/'), tls: { insecure_skip_verify: true } }).collect(live()))?.status, 'pass', 'skip-verify accepts it');

  const client = await probeOf(t, { url: mtls.url('/'), tls: { ca_file: certs.ca, cert_file: certs.clientCert, key_file: certs.clientKey } }).collect(live());
  t.equal(status(client)?.status, 'pass', status(client)?.output ?? '');
  const noCert = await probeOf(t, { url: mtls.url('/'), tls: { ca_file: certs.ca } }).collect(live());
  t.equal(status(noCert)?.output, `${mtls.url('/')}: tlsv13 alert certificate required`, 'no client certificate: the server says so');
});

t.test('openssl s_server: another TLS stack, and a CA file replaced between runs', async (t) => {
  const dir = t.testdir();
  const certs = certificates(dir);
  const server = await opensslServer(t, certs.serverCert, certs.serverKey);
  const rotating = join(dir, 'rotating-ca.pem');
  writeFileSync(rotating, readText(certs.otherCa));
  const probe = probeOf(t, { url: server.url('/'), tls: { ca_file: rotating } });
  t.equal(status(await probe.collect(live()))?.status, 'fail', 'another CA: not verified');
  writeFileSync(rotating, readText(certs.ca));
  const c = await probe.collect(live());
  t.equal(status(c)?.status, 'pass', status(c)?.output ?? '');
  t.equal(valueOf(c, m.statusCode, { target: 'api' }), 200);
  t.match(status(c)?.output, /^200 OK, TLS 1\.[23]$/);
});

t.test('a header from a file: read at every run, the token rotates without a restart', async (t) => {
  const server = await httpServer(t, (req, res) => {
    res.statusCode = req.headers.authorization === 'Bearer second' ? 200 : 401;
    res.end();
  });
  const dir = t.testdir({ token: 'first\n' });
  const probe = probeOf(t, { url: server.url('/'), headers: { Authorization: { file: join(dir, 'token'), prefix: 'Bearer ' } } });
  t.equal(status(await probe.collect(live()))?.output, `${server.url('/')}: 401 Unauthorized (expected 2xx)`);
  writeFileSync(join(dir, 'token'), 'second\n');
  t.equal(status(await probe.collect(live()))?.status, 'pass');
  const gone = await probeOf(t, { url: server.url('/'), headers: { Authorization: { file: join(dir, 'missing') } } }).collect(live());
  t.match(status(gone)?.output, /cannot read headers\.Authorization\.file .*missing: no such file/);
});

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

t.test('in the agent: the token and the URL password appear in no log, /health/detailed, metric, span or vigil check', async (t) => {
  const token = `tok-${Math.random().toString(36).slice(2)}-Zq9`;
  const password = `pw-${Math.random().toString(36).slice(2)}-Xy4`;
  const server = await httpServer(t, (req, res) => {
    const basic = `Basic ${Buffer.from(`vigil:${password}`).toString('base64')}`;
    if (req.url === '/fail') res.writeHead(503).end();
    else res.writeHead(req.headers['x-token'] === token && req.headers.authorization === basic ? 200 : 401).end();
  });
  const dir = t.testdir({ token: `${token}\n` });
  const url = (path: string) => `http://vigil:${encodeURIComponent(password)}@127.0.0.1:${server.port}${path}`;
  const spans = await captureSpans();
  const probes = {
    http: {
      interval: '200ms',
      failure_threshold: 1,
      targets: [
        { name: 'ok', url: url('/'), headers: { 'X-Token': { file: join(dir, 'token') } }, critical: true },
        { name: 'down', url: url('/fail'), headers: { 'X-Token': { file: join(dir, 'token') } } },
      ],
    },
  };
  const agent = await startAgent(t, probes);
  await agent.until('http:status', 'ok', 'pass', 10_000);
  await agent.until('http:status', 'down', 'fail', 10_000);
  const entry = await agent.check('http:status', 'down');
  t.equal(entry?.output, `http://vigil:***@127.0.0.1:${server.port}/fail: 503 Service Unavailable (expected 2xx)`);
  const metrics = (await agent.get('/metrics')).body;
  t.equal(metricValue(metrics, 'vigil_http_status_code', { target: 'down' }), 503);
  t.equal(metricValue(metrics, 'vigil_http_up', { target: 'ok' }), 1);

  const config = resolveConfig(
    { probes: { disk: { enabled: false }, memory: { enabled: false }, cpu: { enabled: false }, ...probes } },
    null,
    {},
    PROBE_SECTIONS,
  );
  let table = '';
  let json = '';
  const logs = captureLogs('debug');
  await runCheckCommand(config, PROBE_KINDS, logs.logger, { json: false, color: false, write: (s) => (table += s) });
  await runCheckCommand(config, PROBE_KINDS, logs.logger, { json: true, color: false, write: (s) => (json += s) });
  t.match(table, /503 Service Unavailable/);
  const everything = [await agent.outputs(), spansText(spans), table, json, ...logs.raw].join('\n');
  t.match(spansText(spans), /"url.full":"http:\/\/vigil:\*\*\*@127\.0\.0\.1/, 'spans carry the redacted URL');
  t.notOk(everything.includes(token), 'the token appears nowhere');
  t.notOk(everything.includes(password) || everything.includes(encodeURIComponent(password)), 'the password appears nowhere');
});

t.test('a kept connection the server closed while idle: the next run reconnects, no failure', async (t) => {
  const server = await httpServer(t, (_req, res) => res.end('ok'));
  // Node's default is 5 s; a server that drops idle connections quickly, as proxies do.
  server.server.keepAliveTimeout = 50;
  const probe = probeOf(t, { url: server.url('/') });
  for (let i = 0; i < 4; i++) {
    const c = await probe.collect(live());
    t.equal(status(c)?.status, 'pass', `run ${i + 1}: ${status(c)?.output ?? ''}`);
    await new Promise((r) => setTimeout(r, i % 2 ? 45 : 120));
  }
  t.ok(server.connections() >= 2, `reconnected after the idle close (${server.connections()} connections)`);
});
