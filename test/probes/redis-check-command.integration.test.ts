// `vigil check` samples Redis twice a moment apart, so the hit ratio, evictions and rejections
// are judged (a cache missing every lookup fails the morning check), not left at "first sample".
import t from 'tap';
import { runCheckCommand } from '../../src/check-command.ts';
import { resolveConfig } from '../../src/config/load.ts';
import { PROBE_KINDS } from '../../src/probes/registry.ts';
import type { HealthDocument } from '../../src/http/health-doc.ts';
import { captureLogs } from '../helpers.ts';
import { ownRedis } from '../servers/redis.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';

t.test('vigil check evaluates redis:hit_ratio, evicted_keys and rejected_connections', async (t) => {
  const server = await ownRedis(t);
  const client = await server.admin();
  t.teardown(() => client.quit().catch(() => undefined));
  // Misses only, for the length of the check: a 0 % hit ratio.
  let traffic = true;
  const load = (async () => {
    while (traffic) await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`vigil-missing-${i}`)));
  })();
  const config = resolveConfig(
    { probes: { disk: { enabled: false }, memory: { enabled: false }, cpu: { enabled: false }, redis: { targets: [{ name: 'cache', url: server.url() }] } } },
    null,
    {},
    PROBE_SECTIONS,
  );
  let out = '';
  const code = await runCheckCommand(config, PROBE_KINDS, captureLogs('warn').logger, { json: true, color: false, write: (s) => (out += s) });
  traffic = false;
  await load;
  const doc = JSON.parse(out) as HealthDocument;
  const entry = (id: string) => doc.checks[id]?.find((e) => e.componentId === 'cache');
  for (const id of ['redis:hit_ratio', 'redis:evicted_keys', 'redis:rejected_connections']) {
    t.notMatch(entry(id)?.output, /first sample/, `${id} evaluated: ${entry(id)?.output}`);
  }
  t.equal(entry('redis:hit_ratio')?.status, 'fail', `a 0 % hit ratio fails: ${entry('redis:hit_ratio')?.output}`);
  t.equal(entry('redis:hit_ratio')?.observedValue, 0);
  t.equal(code, 2, 'exit 2');
});
