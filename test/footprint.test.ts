// A guard, not the benchmark (`npm run bench footprint` measures): the zero-config agent as
// bin/vigil launches it stays far from a gross memory regression. Measured ≈ 76 MiB RSS, heap
// used ≈ 12 MiB, external ≈ 4 MiB on Node 24; the bounds leave room for any machine.
import t, { type Test } from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay, waitFor } from './helpers.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const MiB = 1024 * 1024;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, text: await res.text() };
}

const gauge = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

/**
 * bin/vigil on a compile cache warmed as the image build does (`warm-cache`, its output
 * returned), with `yaml` as its config; killed at the end of the test.
 */
async function startWarmAgent(t: Test, yaml: string, logLevel: string): Promise<{ child: ChildProcess; base: string; warmed: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-footprint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'vigil.yaml');
  writeFileSync(config, yaml);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VIGIL|OTEL)_|^NODE_OPTIONS$|^GLIBC_TUNABLES$/.test(k)));
  const cache = join(dir, 'compile-cache');
  const warmed = execFileSync(join(ROOT, 'bin/vigil'), ['warm-cache'], { env: { ...env, NODE_COMPILE_CACHE: cache }, encoding: 'utf8' });
  const port = await freePort();
  const child = spawn(join(ROOT, 'bin/vigil'), ['--config', config], {
    env: { ...env, NODE_COMPILE_CACHE: cache, VIGIL_PORT: String(port), VIGIL_LOG_LEVEL: logLevel },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await get(`${base}/ready`).catch(() => ({ status: 0 }))).status === 200, 20_000, 100);
  return { child, base, warmed };
}

t.test('zero-config agent: RSS, heap and external memory within generous bounds', async (t) => {
  const { child, base } = await startWarmAgent(t, 'http:\n  host: 127.0.0.1\n  drain_delay: 100ms\n', 'warn');
  await delay(3000); // first probe rounds done

  t.match(readlinkSync(`/proc/${child.pid}/exe`), /\/node$/, 'bin/vigil execs node: the PID is the agent itself');
  const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
  t.ok(environ.includes('GLIBC_TUNABLES=glibc.malloc.arena_max=2'), 'two malloc arenas (bin/vigil)');
  const rss = Number(/^Rss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8'))?.[1]) * 1024;
  const metrics = (await get(`${base}/metrics`)).text;
  const heapUsed = gauge(metrics, 'nodejs_heap_size_used_bytes');
  const external = gauge(metrics, 'nodejs_external_memory_bytes');
  t.ok(rss > 0 && rss < 150 * MiB, `RSS ${(rss / MiB).toFixed(1)} MiB < 150 MiB`);
  t.ok(heapUsed > 0 && heapUsed < 32 * MiB, `heap used ${(heapUsed / MiB).toFixed(1)} MiB < 32 MiB`);
  // ≈ 11 MiB when Node's TypeScript stripper (WebAssembly) is loaded: a cold or broken cache.
  t.ok(external >= 0 && external < 8 * MiB, `external ${(external / MiB).toFixed(1)} MiB < 8 MiB (compile cache used)`);
  t.ok(child.kill('SIGTERM'), 'stopped');
  await new Promise((resolve) => child.once('exit', resolve));
});

t.test('probes loaded when their first instance starts come from the warm cache too (no TypeScript stripper)', async (t) => {
  // A closed port on loopback: the tcp probe's code is imported at its first start.
  const { child, base, warmed } = await startWarmAgent(
    t,
    'http:\n  host: 127.0.0.1\n  drain_delay: 100ms\ndefaults:\n  interval: 1s\nprobes:\n  tcp:\n    targets:\n      - { name: closed, url: "tcp://127.0.0.1:1" }\n',
    'error',
  );
  t.match(warmed, /^compile cache .+: \d+ modules$/m);
  await waitFor(async () => /^vigil_tcp_/m.test((await get(`${base}/metrics`)).text), 20_000, 200);
  const external = gauge((await get(`${base}/metrics`)).text, 'nodejs_external_memory_bytes');
  t.ok(external >= 0 && external < 8 * MiB, `external ${(external / MiB).toFixed(1)} MiB < 8 MiB once the tcp probe ran (its code was in the cache)`);
  t.ok(child.kill('SIGTERM'), 'stopped');
  await new Promise((resolve) => child.once('exit', resolve));
});
