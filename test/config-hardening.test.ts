// Bad input of any size or shape: exit 2 with the path, never a crash, a hang or the value.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfigText, loadConfig } from '../src/config/load.ts';
import { PROBE_KINDS } from '../src/probes/registry.ts';
import { VigilError } from '../src/errors.ts';
import { runCli } from '../src/cli.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfigText(text, 'vigil.yaml', env, PROBE_SECTIONS);
  } catch (err) {
    if (err instanceof VigilError) return [err.message, ...err.problems];
    throw err;
  }
  return [];
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({ argv, env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), isTty: false, kinds: PROBE_KINDS });
  return { code, stdout, stderr };
}

t.test('durations beyond the timer limit, non-finite ones and too-short intervals are refused with their path', async (t) => {
  t.match(problems('defaults:\n  interval: 600h\n'), ['vigil.yaml is invalid', /^defaults\.interval: must be at most 596h/]);
  t.match(problems('http:\n  drain_delay: 600h\n'), ['vigil.yaml is invalid', /^http\.drain_delay: must be at most/]);
  t.match(problems(`defaults:\n  interval: ${'9'.repeat(400)}h\n`), ['vigil.yaml is invalid', /^defaults\.interval: must be at most/]);
  t.match(problems('probes:\n  disk:\n    timeout: 600h\n'), ['vigil.yaml is invalid', /^probes\.disk\.timeout: must be at most/]);
  t.match(problems('defaults:\n  interval: 1ms\n'), ['vigil.yaml is invalid', /^defaults\.interval: must be at least 100ms/]);
  t.match(problems('', { VIGIL_INTERVAL: '10ms' }), ['vigil.yaml is invalid', /^defaults\.interval \(from VIGIL_INTERVAL\): must be at least 100ms/]);
  t.same(problems('defaults:\n  interval: 100ms\n  timeout: 50ms\nhttp:\n  drain_delay: 0.5s\n'), [], 'the documented minimum itself is accepted');
  t.same(problems('defaults:\n  interval: 24h\n'), [], 'a day is accepted');
});

t.test('a % in a URL password never crashes the loader, and the value is never echoed', async (t) => {
  const file = problems('probes:\n  redis:\n    targets:\n      - url: "redis://:50%off@cache:6379"\n');
  t.match(file, ['vigil.yaml is invalid', /^probes\.redis\.targets\.0\.url: .*percent-encoding/]);
  t.notMatch(file.join('\n'), /50%off/);
  const pgFile = problems('probes:\n  postgres:\n    targets:\n      - name: orders\n        url: "postgres://u:50%off@db/orders"\n');
  t.match(pgFile, ['vigil.yaml is invalid', /^probes\.postgres\.targets\.0\.url: .*percent-encoding/]);
  const pgEnv = problems('', { VIGIL_POSTGRES_URL: 'postgres://u:50%off@db:5432/orders' });
  t.match(pgEnv, ['vigil.yaml is invalid', /^probes\.postgres\.\(VIGIL_POSTGRES_URL item 1\)\.url: .*percent-encoding/]);
  const redisEnv = problems('', { VIGIL_REDIS_URL: 'redis://:50%off@cache:6379' });
  t.match(redisEnv, ['vigil.yaml is invalid', /^probes\.redis\.\(VIGIL_REDIS_URL item 1\)\.url: .*percent-encoding/]);
  t.notMatch([...pgFile, ...pgEnv, ...redisEnv].join('\n'), /50%off/);
  const ok = resolveConfigText('', null, { VIGIL_REDIS_URL: 'redis://:50%25off@cache:6379' }, PROBE_SECTIONS);
  t.equal((ok.probes.find((p) => p.kind === 'redis')?.options as { urlPassword: string } | undefined)?.urlPassword, '50%off', 'an encoded % decodes');
});

t.test('undefined YAML aliases and alias bombs are invalid YAML, not crashes', async (t) => {
  t.match(problems('defaults: *a\n'), ['vigil.yaml is not valid YAML', /^line 1, column \d+: .*alias/i]);
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++)
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const started = Date.now();
  t.match(problems(`${bomb.join('\n')}\n`), ['vigil.yaml is not valid YAML', /alias/i]);
  t.ok(Date.now() - started < 5000, 'refused quickly');
});

t.test('config files: size cap, only regular files, bounded problem list, all problems in one pass', async (t) => {
  const dir = t.testdir({ 'big.yaml': `service:\n  description: "${'x'.repeat(1024 * 1024)}"\n` });
  await t.rejects(loadConfig({ path: join(dir, 'big.yaml'), env: {}, kinds: PROBE_SECTIONS }), { code: 'CONFIG_UNREADABLE', message: /larger than 1 MiB/ });
  await t.rejects(loadConfig({ path: dir, env: {}, kinds: PROBE_SECTIONS }), { code: 'CONFIG_UNREADABLE', message: /not a regular file/ });
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const started = Date.now();
  await t.rejects(loadConfig({ path: fifo, env: {}, kinds: PROBE_SECTIONS }), { code: 'CONFIG_UNREADABLE', message: /not a regular file/ });
  t.ok(Date.now() - started < 2000, 'a FIFO does not hang the loader');

  const many = Array.from({ length: 500 }, (_, i) => `  k${i}: 1`).join('\n');
  const listed = problems(`http:\n${many}\n`);
  t.ok(listed.length <= 52, `at most 50 problems listed (${listed.length - 1})`);
  t.match(listed.at(-1), /^… and 450 more problems$/);

  // A schema error in one section does not hide a cross-field error in another.
  const both = problems('http:\n  port: eighty\nprobes:\n  memory:\n    thresholds: {warn: 95, fail: 90}\n');
  t.match(both, ['vigil.yaml is invalid', 'http.port: must be an integer 1-65535', /^probes\.memory\.thresholds/]);

  // 40k keys under an unknown section: refused in bounded time.
  const keys = Array.from({ length: 40_000 }, (_, i) => `  k${i}: 1`).join('\n');
  writeFileSync(join(dir, 'keys.yaml'), `extra:\n${keys}\n`);
  const t0 = Date.now();
  await t.rejects(loadConfig({ path: join(dir, 'keys.yaml'), env: {}, kinds: PROBE_SECTIONS }), { code: 'CONFIG_INVALID' });
  t.ok(Date.now() - t0 < 30_000, `40k keys refused in ${Date.now() - t0} ms`);
});

t.test('vigil config check exits 2 on each of them, never with a stack trace', async (t) => {
  const dir = t.testdir({
    'alias.yaml': 'defaults: *a\n',
    'pct.yaml': 'probes:\n  redis:\n    targets:\n      - url: "redis://:50%off@cache:6379"\n',
    'long.yaml': 'defaults:\n  interval: 600h\n',
  });
  for (const f of ['alias.yaml', 'pct.yaml', 'long.yaml']) {
    const r = await cli(['config', 'check', join(dir, f)]);
    t.equal(r.code, 2, `${f}: exit 2`);
    t.notMatch(r.stderr, /\n\s+at /, `${f}: no stack trace`);
    t.notMatch(r.stderr, /50%off/);
  }
  const env = await cli(['config', 'check', join(dir, 'long.yaml')], { VIGIL_POSTGRES_URL: 'postgres://u:50%off@db/x' });
  t.equal(env.code, 2);
  t.notMatch(env.stderr, /50%off/);
  void spawnSync;
});
