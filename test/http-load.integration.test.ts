// The agent's own HTTP server against hostile clients, over real sockets on loopback: trickling
// bodies and headers, and a flood of /metrics clients while the kubelet probes /health and
// /ready. Every client here is bounded in number and time and stops itself.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { delay, spawnAgent, waitFor, type SpawnedAgent } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
}

async function startAgent(t: Test, yaml: string): Promise<SpawnedAgent> {
  const dir = t.testdir({ 'vigil.yaml': yaml });
  const port = await freePort();
  const agent = spawnAgent(port, ['--config', `${dir}/vigil.yaml`], {});
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });
  await waitFor(async () => (await fetch(`${agent.base}/ready`).catch(() => null))?.status === 200, 20_000, 50);
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
  const agent = await startAgent(t, `${BASE.replace('http:\n', 'http:\n  request_timeout: 2s\n')}`);
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
  t.ok(after < before + 20, `fds back to ${after} (started at ${before})`);
  t.ok(closedByServer >= CLIENTS - 5, `${closedByServer} of ${CLIENTS} trickling connections closed by the agent`);
  const health = await timedGet(port, '/health', 1000);
  t.equal(health.status, 200, '/health still answers');
});
