// The agent's own HTTP server against hostile clients, over real sockets on loopback: trickling
// bodies and headers, and a flood of /metrics clients while the kubelet probes /health and
// /ready. Every client here is bounded in number and time and stops itself.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { delay, spawnAgent, waitFor, type SpawnedAgent } from './helpers.ts';
import { freePort } from '../bench/lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
}

// The agent as the image and the DaemonSet run it: bin/vigil (V8 limits, two malloc arenas) on a
// compile cache warmed as the image build does. The RSS bounds below are the DaemonSet's.
const COMPILE_CACHE = mkdtempSync(join(tmpdir(), 'vigil-load-cache-'));
execFileSync(new URL('../bin/vigil', import.meta.url).pathname, ['warm-cache'], {
  env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE },
  stdio: 'ignore',
});
t.teardown(() => rmSync(COMPILE_CACHE, { recursive: true, force: true }));

async function startAgent(t: Test, yaml: string, readyUrl?: string): Promise<SpawnedAgent> {
  const dir = t.testdir({ 'vigil.yaml': yaml });
  const port = await freePort();
  const agent = spawnAgent(port, ['--config', `${dir}/vigil.yaml`], { NODE_COMPILE_CACHE: COMPILE_CACHE }, 'bin/vigil');
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });
  await waitFor(async () => (await fetch(readyUrl ?? `${agent.base}/ready`).catch(() => null))?.status === 200, 20_000, 50);
  return agent;
}

/** GET `path` with its own connection; the time to a full answer, or Infinity past `limitMs`. */
function timedGet(port: number, path: string, limitMs: number): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: limitMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ms: Infinity, status: 0 }));
    req.end();
  });
}

const BASE = 'http:\n  host: 127.0.0.1\ndefaults:\n  interval: 5s\n  timeout: 2s\nprobes:\n  cpu: {enabled: false}\n';

t.test('trickling bodies and headers are cut off: fds stay bounded', async (t) => {
  const agent = await startAgent(t, BASE.replace('http:\n', 'http:\n  request_timeout: 2s\n  max_connections: 64\n'));
  const pid = agent.child.pid!;
  const port = Number(new URL(agent.base).port);
  const before = openFds(pid);
  const clients: Socket[] = [];
  let closedByServer = 0;
  const CLIENTS = 300;
  for (let i = 0; i < CLIENTS; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => closedByServer++);
    // Half trickle a body (there are no POST routes), half trickle their headers.
    socket.write(i % 2 === 0 ? 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' : 'GET /metrics HTTP/1.1\r\nHost: x\r\n');
    clients.push(socket);
  }
  const trickle = setInterval(() => {
    for (const s of clients) if (!s.destroyed) s.write(clients.indexOf(s) % 2 === 0 ? 'x' : 'X-Pad: y\r\n');
  }, 500);
  t.teardown(() => {
    clearInterval(trickle);
    for (const s of clients) s.destroy();
  });
  await delay(1000);
  const during = openFds(pid);
  await delay(5000);
  const after = openFds(pid);
  t.comment(`agent fds: ${before} before, ${during} 1 s into ${CLIENTS} trickling clients, ${after} after 6 s; ${closedByServer} closed by the agent`);
  t.ok(during <= before + 64 + 5, `fds ${during} during the trickle: at most max_connections (64) more than ${before}`);
  t.ok(after < before + 20, `fds back to ${after} (started at ${before})`);
  t.ok(closedByServer >= CLIENTS - 5, `${closedByServer} of ${CLIENTS} trickling connections closed by the agent`);
  const health = await timedGet(port, '/health', 1000);
  t.equal(health.status, 200, '/health still answers');
});

interface FloodReport {
  readonly probeMs: number[];
  readonly failures: number;
  /** Longest run of consecutive failed rounds: the kubelet restarts after failureThreshold (3). */
  readonly failedInARow: number;
  readonly rss: { before: number; peak: number; after: number };
  readonly load: { requests: number; non2xx: number; errors: number };
}

/**
 * `clients` concurrent /metrics clients on `floodPort` for `seconds` (autocannon, its own
 * process), while /health and /ready are asked every 250 ms on `probePort` with a 1 s limit.
 */
async function flood(agent: SpawnedAgent, floodPort: number, probePort: number, clients: number, seconds: number): Promise<FloodReport> {
  const pid = agent.child.pid!;
  const rssBefore = rssMiB(pid);
  const cannon = spawn(
    `${ROOT}node_modules/.bin/autocannon`,
    ['-j', '-c', String(clients), '-d', String(seconds), '-t', '5', `http://127.0.0.1:${floodPort}/metrics`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  cannon.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const done = once(cannon, 'exit');
  const kill = setTimeout(() => cannon.kill('SIGKILL'), (seconds + 20) * 1000);
  const probeMs: number[] = [];
  let failures = 0;
  let failedInARow = 0;
  let streak = 0;
  let peak = rssBefore;
  let running = true;
  void done.then(() => (running = false));
  await delay(1000); // the flood is on
  while (running) {
    const [health, ready] = await Promise.all([timedGet(probePort, '/health', 1000), timedGet(probePort, '/ready', 1000)]);
    let roundFailed = false;
    for (const r of [health, ready]) {
      probeMs.push(r.ms);
      if (r.status !== 200 || r.ms >= 1000) {
        failures++;
        roundFailed = true;
      }
    }
    streak = roundFailed ? streak + 1 : 0;
    failedInARow = Math.max(failedInARow, streak);
    peak = Math.max(peak, rssMiB(pid));
    await delay(250);
  }
  clearTimeout(kill);
  await done;
  await delay(2000);
  const result = JSON.parse(out || '{}') as { requests?: { total?: number }; non2xx?: number; errors?: number };
  return {
    probeMs,
    failures,
    failedInARow,
    rss: { before: rssBefore, peak, after: rssMiB(pid) },
    load: { requests: result.requests?.total ?? 0, non2xx: result.non2xx ?? 0, errors: result.errors ?? 0 },
  };
}

function summary(r: FloodReport): string {
  const sorted = [...r.probeMs].sort((a, b) => a - b);
  const p = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return `${r.probeMs.length} probes, ${r.failures} failed or ≥ 1 s, p50 ${p(0.5)} ms, max ${p(1)} ms; RSS ${r.rss.before} → peak ${r.rss.peak} → ${r.rss.after} MiB; flood: ${r.load.requests} answers (${r.load.non2xx} non-2xx), ${r.load.errors} errors`;
}

t.test('1,500 concurrent /metrics clients: /health and /ready on the probe port answer within 1 s', async (t) => {
  const probePort = await freePort();
  const agent = await startAgent(t, BASE.replace('http:\n', `http:\n  probe_port: ${probePort}\n`));
  const port = Number(new URL(agent.base).port);
  const report = await flood(agent, port, probePort, 1500, 12);
  t.comment(`probe port: ${summary(report)}`);
  t.ok(report.probeMs.length >= 10, 'probed throughout the flood');
  t.equal(report.failures, 0, 'every /health and /ready answered 200 within 1 s');
  t.ok(report.rss.peak < 250, `RSS peak ${report.rss.peak} MiB < 250 MiB (the DaemonSet's limit is 256 MiB)`);
  t.ok(report.load.requests > 0, 'the flood was answered (200 or 503 busy)');
  t.equal((await timedGet(port, '/health', 1000)).status, 200, 'the main port answers after the flood');
  const metrics = await (await fetch(`${agent.base}/metrics`)).text();
  t.match(metrics, /^vigil_http_connections_dropped_total\{listener="main"\} [1-9]\d*$/m, 'connections beyond max_connections dropped and counted');
});

t.test('200 concurrent /metrics clients on the single default port: /health and /ready answer within 1 s', async (t) => {
  // Within max_connections (256). Beyond it connections are closed on accept, a probe's among
  // them: the guarantee under a bigger flood is probe_port's (test above).
  const agent = await startAgent(t, BASE);
  const port = Number(new URL(agent.base).port);
  const report = await flood(agent, port, port, 200, 8);
  t.comment(`single port: ${summary(report)}`);
  t.ok(report.probeMs.length >= 10, 'probed throughout the flood');
  // Same loop as thousands of answers a second, and the suite runs other heavy files beside this
  // one on two cores: a single slow answer can happen. What must not happen is what restarts a
  // pod: three failed rounds in a row (the kubelet's failureThreshold).
  t.ok(report.failedInARow < 3, `${report.failedInARow} failed rounds in a row (the kubelet restarts at 3)`);
  t.ok(report.failures <= report.probeMs.length / 4, `${report.failures} of ${report.probeMs.length} probes failed or ≥ 1 s`);
  t.ok(report.rss.peak < 250, `RSS peak ${report.rss.peak} MiB < 250 MiB`);
});

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const res = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      `${dir}/${name}.key`,
      '-out',
      `${dir}/${name}.crt`,
    ],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`openssl: ${res.stderr}`);
  return { cert: readFileSync(`${dir}/${name}.crt`, 'utf8'), key: readFileSync(`${dir}/${name}.key`, 'utf8') };
}

/** GET over HTTPS trusting `ca`; the status, body and the certificate's CN. */
function httpsGet(port: number, path: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, headers, agent: false, timeout: 3000 }, (res) => {
      const cn = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? '');
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

t.test('TLS from files re-read when they change; the bearer token rotates the same way and is never logged', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/vigil-tls-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = selfSigned(dir, 'first');
  const second = selfSigned(dir, 'second');
  writeFileSync(`${dir}/tls.crt`, first.cert);
  writeFileSync(`${dir}/tls.key`, first.key);
  writeFileSync(`${dir}/token`, 'token-one\n');
  const probePort = await freePort();
  const yaml = BASE.replace(
    'http:\n',
    `http:\n  probe_port: ${probePort}\n  auth:\n    token_file: ${dir}/token\n  tls:\n    cert_file: ${dir}/tls.crt\n    key_file: ${dir}/tls.key\n`,
  );
  const agent = await startAgent(t, yaml, `http://127.0.0.1:${probePort}/ready`);
  const port = Number(new URL(agent.base).port);

  let res = await httpsGet(port, '/health/detailed', first.cert);
  t.equal(res.cn, 'first');
  t.same(Object.keys(JSON.parse(res.body)).sort(), ['checks', 'status'], 'no token: minimal view');
  res = await httpsGet(port, '/health/detailed', first.cert, { authorization: 'Bearer token-one' });
  t.ok(JSON.parse(res.body).node, 'token: full details over TLS');
  t.equal((await fetch(`${agent.base}/health`).catch(() => null))?.status, undefined, 'plain HTTP is not served on the TLS port');

  // Swapped like a Kubernetes Secret: new files renamed into place.
  writeFileSync(`${dir}/new.key`, second.key);
  writeFileSync(`${dir}/new.crt`, second.cert);
  renameSync(`${dir}/new.key`, `${dir}/tls.key`);
  renameSync(`${dir}/new.crt`, `${dir}/tls.crt`);
  writeFileSync(`${dir}/new.token`, 'token-two\n');
  renameSync(`${dir}/new.token`, `${dir}/token`);
  await waitFor(async () => (await httpsGet(port, '/health', second.cert).catch(() => null))?.cn === 'second', 10_000, 200);
  t.pass('the new certificate is served without a restart');
  await waitFor(async () => (await httpsGet(port, '/health/detailed', second.cert, { authorization: 'Bearer token-two' })).status === 200, 10_000, 200);
  t.equal((await httpsGet(port, '/health/detailed', second.cert, { authorization: 'Bearer token-one' })).status, 401, 'the old token is refused');
  const logs = agent.lines.join('\n');
  t.notMatch(logs, /token-one|token-two|BEGIN/, 'neither token nor key material in the logs');
  t.match(logs, /http\.tls_reloaded/);
});

t.test('an unreadable token file or a mismatched certificate and key: exit 3 with the key and path, no secret', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/vigil-bad-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  selfSigned(dir, 'a');
  selfSigned(dir, 'b');
  writeFileSync(`${dir}/blank`, ' \n');
  const cases = [
    { http: `  auth:\n    token_file: ${dir}/missing\n`, expect: `http.auth.token_file ${dir}/missing: no such file` },
    { http: `  auth:\n    token_file: ${dir}/blank\n`, expect: 'holds only whitespace' },
    { http: `  tls:\n    cert_file: ${dir}/a.crt\n    key_file: ${dir}/b.key\n`, expect: 'cannot start the HTTP server' },
  ];
  for (const c of cases) {
    const file = `${dir}/vigil.yaml`;
    writeFileSync(file, BASE.replace('http:\n', `http:\n${c.http}`));
    const agent = spawnAgent(await freePort(), ['--config', file], {});
    t.teardown(() => {
      agent.child.kill('SIGKILL');
    });
    t.equal(await agent.exit, 3, `exit 3: ${c.expect}`);
    const out = agent.lines.join('\n');
    t.match(out, c.expect);
    t.notMatch(out, /BEGIN|PRIVATE|\n\s+at /, 'no key material, no stack trace');
  }
});
