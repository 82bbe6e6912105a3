import t from 'tap';
import { z } from 'zod';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import { redactUrl } from '../../src/redact.ts';
import { targetFields, targetInstances, targetsSection } from '../../src/probes/targets.ts';

const target = z.strictObject({ ...targetFields, url: z.string() });
type Target = z.infer<typeof target>;
const section = targetsSection(target);
type Section = z.infer<typeof section>;

const resolve = targetInstances<Section, Target, { url: string }>({
  key: 'fake',
  envVar: 'VIGIL_FAKE_URL',
  fromEnv: (item) => ({ url: item }),
  defaultName: (t) => {
    try {
      const u = new URL(t.url);
      return u.port ? `${u.hostname}:${u.port}` : undefined;
    } catch {
      return undefined;
    }
  },
  options: (t) => ({ url: t.url }),
});

function run(raw: unknown, env: NodeJS.ProcessEnv = {}) {
  const problems: string[] = [];
  const parsed = section.parse(raw);
  const out = resolve({ section: parsed, defaults: BUILTIN_SCHEDULE, env }, (path, message) => problems.push(`${path}: ${message}`));
  return { out, problems };
}

t.test('config targets and env targets become named instances with merged schedules', async (t) => {
  const { out, problems } = run(
    { interval: '30s', targets: [{ name: 'orders', url: 'x://a:1', critical: true, timeout: '2s' }, { url: 'x://b:2' }] },
    { VIGIL_FAKE_URL: ' x://c:3 , ,x://d:4' },
  );
  t.same(problems, []);
  t.same(
    out.map((s) => s.name),
    ['fake/orders', 'fake/b:2', 'fake/c:3', 'fake/d:4'],
  );
  t.equal(out[0]?.schedule.critical, true);
  t.equal(out[0]?.schedule.timeoutMs, 2000);
  t.equal(out[0]?.schedule.intervalMs, 30_000, 'section interval applies to each target');
  t.equal(out[1]?.schedule.critical, false);
  t.ok(Object.isFrozen(out[0]));
});

t.test('duplicate and underivable names are reported with their paths', async (t) => {
  const { out, problems } = run({ targets: [{ url: 'x://a:1' }, { url: 'x://a:1' }, { url: 'nope' }] }, { VIGIL_FAKE_URL: 'x://a:1' });
  t.equal(out.length, 1);
  t.same(problems, [
    'targets.1.name: a:1 is already used by targets.0; give each target its own name',
    'targets.2.name: is required (it cannot be derived from the target)',
    '(VIGIL_FAKE_URL item 1).name: a:1 is already used by targets.0; give each target its own name',
  ]);
});

t.test('a disabled section or target yields no instance', async (t) => {
  t.same(run({ enabled: false, targets: [{ url: 'x://a:1' }] }).out, []);
  t.same(run({ targets: [{ url: 'x://a:1', enabled: false }] }).out, []);
});

t.test('redactUrl hides passwords and query strings, never echoes garbage', async (t) => {
  t.equal(redactUrl('postgres://vigil:s3cret@db:5432/app?sslpassword=x'), 'postgres://vigil:***@db:5432/app');
  t.equal(redactUrl('redis://:s3cret@cache:6379/0'), 'redis://:***@cache:6379/0');
  t.equal(redactUrl('rediss://cache:6380'), 'rediss://cache:6380');
  t.equal(redactUrl('not a url with s3cret'), '(unparseable URL)');
});
