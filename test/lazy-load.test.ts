// An agent carries only what its config uses: database drivers and OpenTelemetry (SDK and API)
// are loaded when a target connects or tracing starts, not at start-up (about 18 MiB of RSS).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { PROBE_KINDS } from '../src/probes/registry.ts';
import { resolveConfigText } from '../src/config/load.ts';
import { assemble } from '../src/agent.ts';
import { captureLogs } from './helpers.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';

const loadedPackages = (): Set<string> => {
  const cache = createRequire(import.meta.url).cache;
  const names = new Set<string>();
  for (const path of Object.keys(cache)) {
    const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
};

t.test('a zero-config agent loads no database driver and nothing of OpenTelemetry', async (t) => {
  const config = resolveConfigText('', null, {}, PROBE_SECTIONS);
  const { logger } = captureLogs();
  assemble(config, PROBE_KINDS, logger);
  const loaded = loadedPackages();
  t.ok(loaded.has('fastify') || loaded.has('prom-client'), 'the cache is readable (sanity)');
  for (const name of [
    'pg',
    'ioredis',
    'kafkajs',
    '@opentelemetry/api',
    '@opentelemetry/sdk-trace-base',
    '@opentelemetry/sdk-trace',
    '@opentelemetry/core',
    '@opentelemetry/context-async-hooks',
    '@opentelemetry/otlp-transformer',
  ]) {
    t.notOk(loaded.has(name), `${name} is not loaded`);
  }
});

t.test("a started agent has not loaded Node's bundled HTTP client (undici, +14 MiB RSS)", async (t) => {
  // In a process of its own: the test runner may load undici itself.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const code = `
    const { PROBE_KINDS } = await import('./src/probes/registry.ts');
    const { PROBE_SECTIONS } = await import('./src/probes/sections.ts');
    const { resolveConfigText } = await import('./src/config/load.ts');
    const { Agent } = await import('./src/agent.ts');
    const { createLogger } = await import('./src/log/logger.ts');
    const config = resolveConfigText('http:\\n  port: ${port}\\n  host: 127.0.0.1\\n', null, {}, PROBE_SECTIONS);
    const agent = new Agent(config, PROBE_KINDS, createLogger({ level: 'silent', service: 'vigil' }), {});
    await agent.start();
    const loaded = process.moduleLoadList.filter((m) => m.includes('undici'));
    await agent.shutdown('SIGTERM');
    process.stdout.write(JSON.stringify(loaded));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 60_000 });
  t.same(JSON.parse(out.trim().split('\n').pop() ?? 'null'), [], 'no undici module loaded');
});

t.test('a lazily loaded probe: its module is imported at start, its id is there for a failing first start', async (t) => {
  const { tcpKind } = await import('../src/probes/tcp/index.ts');
  const { tcpConfig } = await import('../src/probes/tcp/config.ts');
  const { settingsOf, context, hostAt, live } = await import('./probes/helpers.ts');
  const probe = tcpKind.create(settingsOf(tcpConfig, { targets: [{ name: 'closed', url: 'tcp://127.0.0.1:1' }] }), context(hostAt('/')));
  t.equal(probe.name, 'tcp/closed');
  t.equal(probe.kind, 'tcp');
  t.ok(
    probe.checks.some((c) => c.id === 'tcp:connect'),
    'checks from the declaration, before any import',
  );
  await t.rejects(probe.collect(live()), /before it started/, 'collect before start is refused, not a crash');
  await probe.start(live());
  t.equal(probe.componentId, 'closed', "the probe's own component id once started");
  const result = await probe.collect(live());
  t.equal(result.checks.find((c) => c.check.id === 'tcp:connect')?.status, 'fail', 'a closed port fails tcp:connect (the real probe ran)');
  await probe.stop();
});
