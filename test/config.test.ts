import t from 'tap';
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { resolveConfigText, loadConfig } from '../src/config/load.ts';
import { commonProbeFields, resolveSchedule, percent } from '../src/config/common.ts';
import { parseDuration, formatDuration } from '../src/config/duration.ts';
import { configJsonSchema } from '../src/config/schema.ts';
import { defineProbeKind, probeSections, type ProbeKind } from '../src/probes/kind.ts';
import { VigilError } from '../src/errors.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';

const demoKind = defineProbeKind({
  key: 'demo',
  description: 'test kind',
  env: [],
  metrics: [],
  checks: [],
  config: async () => ({
    schema: z.strictObject({ ...commonProbeFields, warn: percent.optional(), fail: percent.optional() }),
    resolve({ section, defaults }, report) {
      if (section?.enabled === false) return [];
      if (section?.warn !== undefined && section.fail !== undefined && section.warn >= section.fail) report('warn', 'must be below fail');
      return [{ kind: 'demo', name: 'demo', schedule: resolveSchedule(section, defaults), options: { warn: section?.warn ?? 70 } }];
    },
  }),
  create() {
    throw new Error('not used');
  },
}) as ProbeKind;
const kinds = await probeSections([demoKind]);

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfigText(text, 'vigil.yaml', env, kinds);
  } catch (err) {
    if (err instanceof VigilError) return [...err.problems];
    throw err;
  }
  return [];
}

t.test('durations', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('10s'), 10_000);
  t.equal(parseDuration('1m30s'), 90_000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('10'), undefined);
  t.equal(parseDuration('10 s'), undefined);
  t.equal(formatDuration(90_000), '1m30s');
  t.equal(formatDuration(250), '250ms');
});

t.test('no config at all gives useful defaults', async (t) => {
  const config = resolveConfigText('', null, {}, kinds);
  t.equal(config.http.port, 9477);
  t.equal(config.http.host, '0.0.0.0');
  t.equal(config.http.drainDelayMs, 5000);
  t.equal(config.log.level, 'info');
  t.same(config.host, { proc: '/proc', sys: '/sys', rootfs: '/' });
  t.same(
    config.probes.map((p) => p.name),
    ['demo'],
  );
  t.same(config.probes[0]?.schedule, { enabled: true, intervalMs: 15_000, timeoutMs: 5_000, failureThreshold: 3, successThreshold: 1, critical: false });
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.probes[0]?.schedule), 'resolved config is frozen');
});

t.test('every problem is reported with its path', async (t) => {
  const found = problems(`
http:
  port: "eighty"
  colour: blue
logging: {}
defaults:
  interval: 10 seconds
probes:
  demo:
    warn: 90
    fail: 80
    critical: yes please
`);
  t.same(found.sort(), [
    'defaults.interval: must be a duration such as 500ms, 10s or 1m',
    'http.colour: unknown key',
    'http.port: must be an integer 1-65535',
    'logging: unknown key',
    'probes.demo.critical: must be true or false',
  ]);
  t.same(problems('probes:\n  demo:\n    warn: 90\n    fail: 80\n'), ['probes.demo.warn: must be below fail'], 'resolve-time rules run when the schema passes');
  t.same(problems('http:\n  port: 70000\n'), ['http.port: must be an integer 1-65535']);
  t.same(problems('defaults:\n  interval: 5s\n  timeout: 10s\n'), ['defaults.timeout: must not be longer than the interval (10000ms > 5000ms)']);
  t.same(problems('- a\n- b\n'), ['(top level): must be a mapping of settings']);
  t.match(problems('http: [\n'), [/^line \d+, column \d+: /]);
});

t.test('environment overrides', async (t) => {
  const config = resolveConfigText(
    'http:\n  port: 8080\n',
    null,
    { VIGIL_PORT: '9999', VIGIL_INTERVAL: '30s', VIGIL_LOG_LEVEL: 'debug', VIGIL_HOST_ROOT: '/host', NODE_NAME: 'node-7', POD_NAME: 'vigil-abc' },
    kinds,
  );
  t.equal(config.http.port, 9999);
  t.equal(config.probes[0]?.schedule.intervalMs, 30_000);
  t.equal(config.log.level, 'debug');
  t.same(config.host, { proc: '/host/proc', sys: '/host/sys', rootfs: '/host' });
  t.equal(config.identity.nodeName, 'node-7');
  t.equal(config.identity.podName, 'vigil-abc');
  t.same(problems('', { VIGIL_PORT: 'http' }), ['http.port (from VIGIL_PORT): must be an integer 1-65535']);
});

t.test('loadConfig reads the file named by VIGIL_CONFIG and reports unreadable files', async (t) => {
  const dir = t.testdir({ 'vigil.yaml': 'http:\n  port: 9100\n' });
  const config = await loadConfig({ env: { VIGIL_CONFIG: `${dir}/vigil.yaml` }, kinds });
  t.equal(config.http.port, 9100);
  t.equal(config.source, `${dir}/vigil.yaml`);
  await t.rejects(loadConfig({ path: `${dir}/missing.yaml`, env: {}, kinds }), { code: 'CONFIG_UNREADABLE', message: /no such file/ });
});

t.test('the published JSON Schema and example config match the code', async (t) => {
  const published = JSON.parse(readFileSync(new URL('../config/vigil.schema.json', import.meta.url), 'utf8'));
  t.same(published, configJsonSchema(PROBE_SECTIONS), 'config/vigil.schema.json is current (npm run schema)');
  const example = readFileSync(new URL('../config/vigil.example.yaml', import.meta.url), 'utf8');
  const config = resolveConfigText(example, 'config/vigil.example.yaml', {}, PROBE_SECTIONS);
  t.ok(config.probes.length >= 3, 'example config is valid');
  const defaults = resolveConfigText('', null, {}, PROBE_SECTIONS);
  t.same(defaults.probes.map((p) => p.name).sort(), ['cpu', 'disk', 'memory'], 'zero-config runs the host probes');
});
