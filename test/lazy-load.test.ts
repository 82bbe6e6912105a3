// An agent carries only what its config uses: database drivers and the OpenTelemetry SDK are
// loaded when a target connects or tracing starts, not at start-up (about 18 MiB of RSS).
import t from 'tap';
import { createRequire } from 'node:module';
import { PROBE_KINDS } from '../src/probes/registry.ts';
import { resolveConfigText } from '../src/config/load.ts';
import { assemble } from '../src/agent.ts';
import { captureLogs } from './helpers.ts';

const loadedPackages = (): Set<string> => {
  const cache = createRequire(import.meta.url).cache;
  const names = new Set<string>();
  for (const path of Object.keys(cache)) {
    const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
};

t.test('a zero-config agent loads no database driver and no tracing SDK', async (t) => {
  const config = resolveConfigText('', null, {}, PROBE_KINDS);
  const { logger } = captureLogs();
  assemble(config, PROBE_KINDS, logger);
  const loaded = loadedPackages();
  t.ok(loaded.has('fastify') || loaded.has('prom-client'), 'the cache is readable (sanity)');
  for (const name of [
    'pg',
    'ioredis',
    'kafkajs',
    '@opentelemetry/sdk-trace-base',
    '@opentelemetry/sdk-trace',
    '@opentelemetry/core',
    '@opentelemetry/context-async-hooks',
    '@opentelemetry/otlp-transformer',
  ]) {
    t.notOk(loaded.has(name), `${name} is not loaded`);
  }
});
