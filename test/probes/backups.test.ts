// backup:freshness against real files in a temporary host root: readings as stat(1) gives them,
// each way a rule fails or warns, symlinks leaving the root refused, a hung scan timed out.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { backupsKind } from '../../src/probes/backups/index.ts';
import { BackupsProbe } from '../../src/probes/backups/probe.ts';
import { parseSize } from '../../src/probes/backups/config.ts';
import { resolveInRoot, scan, segmentMatcher } from '../../src/probes/backups/scan.ts';
import * as m from '../../src/probes/backups/metadata.ts';
import { PROBE_KINDS } from '../../src/probes/registry.ts';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import { checkOf, context, live, settingsOf, valueOf, verdict } from './helpers.ts';
import { backupsConfig } from '../../src/probes/backups/config.ts';

const HOUR = 3600;
const run = promisify(execFile);

/** A host root under the test's directory: `files` (host path → [bytes, age in hours]). */
function hostRoot(t: { testdir: () => string }, files: Record<string, [number, number]>): { root: string; now: number } {
  const root = t.testdir();
  const now = Date.now() / 1000;
  for (const [path, [bytes, ageHours]] of Object.entries(files)) {
    const real = join(root, path);
    mkdirSync(join(real, '..'), { recursive: true });
    writeFileSync(real, Buffer.alloc(bytes, 7));
    const at = Math.floor(now - ageHours * HOUR);
    utimesSync(real, at, at);
  }
  return { root, now };
}

function probeAt(root: string, rules: unknown[], extra: object = {}, deps = {}) {
  const settings = settingsOf(backupsConfig, { rules, ...extra });
  return new BackupsProbe(settings, context({ proc: '/proc', sys: '/sys', rootfs: root }), deps);
}

function problems(section: unknown): string[] {
  const parsed = backupsConfig.schema.safeParse(section);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const out: string[] = [];
  backupsConfig.resolve({ section: parsed.data, defaults: BUILTIN_SCHEDULE, env: {} }, (path, message) => out.push(`${path}: ${message}`));
  return out;
}

t.test('zero-config: registered, and off without rules', async (t) => {
  t.ok(PROBE_KINDS.includes(backupsKind as never), 'one line in the registry');
  t.same(
    backupsConfig.resolve({ section: undefined, defaults: BUILTIN_SCHEDULE, env: {} }, () => t.fail('no problem expected')),
    [],
  );
  t.same(
    backupsConfig.resolve({ section: backupsConfig.schema.parse({ rules: [] }), defaults: BUILTIN_SCHEDULE, env: {} }, () => {}),
    [],
  );
  t.same(
    backupsKind.checks.map((c) => c.id),
    ['backup:freshness'],
  );
  t.same(problems({ enabled: true }), ['rules: enabled, but no rule names a backup to watch']);
  const rule = { name: 'db', path: '/backups/*/x.sql', max_age: '26h' };
  t.same(
    backupsConfig.resolve({ section: backupsConfig.schema.parse({ enabled: false, rules: [rule] }), defaults: BUILTIN_SCHEDULE, env: {} }, () => {}),
    [],
  );
});

t.test('rules are validated with their paths', async (t) => {
  const ok = { name: 'db', path: '/backups/*/x.sql', max_age: '26h' };
  t.same(problems({ rules: [ok] }), []);
  t.same(problems({ rules: [ok, { ...ok }] }), ['rules.1.name: "db" is used by an earlier rule']);
  t.same(problems({ rules: [{ ...ok, path: 'backups/x.sql' }] }), ['rules.0.path: must be an absolute path, as the host sees it (the host root is prefixed)']);
  t.same(problems({ rules: [{ ...ok, path: '/backups/../etc/shadow' }] }), ['rules.0.path: must not contain `..`']);
  t.same(problems({ rules: [{ ...ok, path: '/backups/**/x.sql' }] }), ['rules.0.path: `**` is not supported: one `*` per directory level']);
  t.same(problems({ rules: [{ ...ok, min_size: '1 potato' }] }), ['rules.0.min_size: must be a number of bytes or a size such as 500KiB, 1MiB, 2GB']);
  t.same(problems({ rules: [{ ...ok, max_age: 'daily' }] }), ['rules.0.max_age: must be a duration such as 500ms, 10s or 1m']);
  t.same(problems({ rules: [{ ...ok, min_count: 0 }] }), ['rules.0.min_count: must be an integer ≥ 1']);
  t.same(problems({ rules: [{ ...ok, extra: 1 }] }).length, 1);
  t.same(problems({ timeout: '2s', scan_timeout: '3s', rules: [ok] }), [
    "scan_timeout: must be shorter than the probe's timeout (2s), or the whole run times out",
  ]);
  t.same([parseSize(512), parseSize('1MiB'), parseSize('2GB'), parseSize('1.5 KiB'), parseSize('10kB')], [512, 2 ** 20, 2e9, 1536, 10_000]);
  const [settings] = backupsConfig.resolve(
    { section: backupsConfig.schema.parse({ rules: [ok, { ...ok, name: 'r', min_size: '1MiB', min_count: 30 }] }), defaults: BUILTIN_SCHEDULE, env: {} },
    () => {},
  );
  t.same(settings?.options.rules, [
    { name: 'db', path: '/backups/*/x.sql', maxAgeMs: 26 * HOUR * 1000, minSizeBytes: 1, minCount: null },
    { name: 'r', path: '/backups/*/x.sql', maxAgeMs: 26 * HOUR * 1000, minSizeBytes: 2 ** 20, minCount: 30 },
  ]);
  t.equal(settings?.options.scanTimeoutMs, 4000, "80 % of the probe's 5 s timeout");
});

t.test('glob segments: * ? [..] within a segment, dotfiles only literally', async (t) => {
  const match = (glob: string, name: string) => segmentMatcher(glob)?.test(name);
  t.equal(segmentMatcher('dump.rdb'), null, 'a literal segment is not listed');
  t.ok(match('*.sql', 'a.sql'));
  t.notOk(match('*.sql', 'a.sqlx'));
  t.notOk(match('*', '.hidden'));
  t.ok(match('.*', '.hidden'));
  t.ok(match('2026-0?-*', '2026-06-14'));
  t.ok(match('dump-[0-9]*.rdb', 'dump-1.rdb'));
  t.notOk(match('dump-[!0-9]*.rdb', 'dump-1.rdb'));
  t.ok(match('a+b(*)', 'a+b(c)'), 'regex characters are literal');
  t.ok(match('x[', 'x['), 'an unclosed [ is literal');
});

t.test('readings equal stat(1): newest age and size, files kept', async (t) => {
  const { root } = hostRoot(t, {
    '/backups/2026-06-12/orchestrator-full.sql': [3000, 50],
    '/backups/2026-06-13/orchestrator-full.sql': [2000, 26.5],
    '/backups/2026-06-14/orchestrator-full.sql': [1500, 2],
    '/backups/2026-06-14/orchestrator-compressed.dump': [100, 1],
    '/backups/config/k8s-resources.yaml': [10, 0.5],
  });
  const probe = probeAt(root, [
    { name: 'orchestrator', path: '/backups/*/orchestrator-full.sql', max_age: '26h', min_size: 1000, min_count: 3 },
    { name: 'retention', path: '/backups/*/orchestrator-full.sql', max_age: '26h', min_count: 30 },
  ]);
  const c = await probe.collect(live());
  const newest = join(root, 'backups/2026-06-14/orchestrator-full.sql');
  const [mtime, size] = (await run('stat', ['-c', '%Y %s', newest])).stdout.trim().split(' ').map(Number) as [number, number];
  const age = valueOf(c, m.backupNewestAge, { rule: 'orchestrator' }) as number;
  const expectedAge = Date.now() / 1000 - mtime;
  t.ok(Math.abs(age - expectedAge) <= 1, `age ${age} s ≈ now − stat -c %Y (${mtime}) = ${expectedAge.toFixed(1)} s`);
  t.equal(Math.floor(valueOf(c, m.backupNewestMtime, { rule: 'orchestrator' }) as number), mtime, 'mtime = stat -c %Y');
  t.equal(valueOf(c, m.backupNewestSize, { rule: 'orchestrator' }), size, 'size = stat -c %s');
  const found = (await run('find', [join(root, 'backups'), '-path', '*/orchestrator-full.sql', '-type', 'f'])).stdout.trim().split('\n').length;
  t.equal(valueOf(c, m.backupFiles, { rule: 'orchestrator' }), found, `files = find (${found})`);
  t.equal(valueOf(c, m.backupMaxAge, { rule: 'orchestrator' }), 26 * HOUR);
  t.equal(valueOf(c, m.backupMinSize, { rule: 'orchestrator' }), 1000);
  t.equal(valueOf(c, m.backupMinFiles, { rule: 'orchestrator' }), 3);
  t.equal(valueOf(c, m.backupMinFiles, { rule: 'retention' }), 30);

  const ok = checkOf(c, 'backup:freshness', 'orchestrator');
  t.same(verdict(ok), { status: 'pass', severity: null });
  t.equal(ok?.observedValue, age);
  t.match(ok?.output, /^newest \/backups\/2026-06-14\/orchestrator-full\.sql: 2h(\d+s)? old, 1\.46 KiB; 3 files kept$/);
  const short = checkOf(c, 'backup:freshness', 'retention');
  t.same(verdict(short), { status: 'warn', severity: 'SEV3' });
  t.match(short?.output, /; 3 files kept \(warn < min_count 30\)$/);
  t.same(c.errors, []);
  t.comment(`newest age ${age} s vs stat -c %Y ${mtime} (now − mtime ${expectedAge.toFixed(1)} s); size ${size} B`);
});

t.test('stale, too small and missing backups fail (SEV2)', async (t) => {
  const { root } = hostRoot(t, { '/data/dump.rdb': [0, 30], '/backups/a/old.sql': [5000, 27] });
  const probe = probeAt(root, [
    { name: 'redis', path: '/data/dump.rdb', max_age: '26h' },
    { name: 'old', path: '/backups/*/old.sql', max_age: '26h', min_size: '1KiB' },
    { name: 'none', path: '/backups/*/orchestrator-full.sql', max_age: '26h' },
    { name: 'no-dir', path: '/nowhere/*/x', max_age: '1h' },
  ]);
  const c = await probe.collect(live());
  const redis = checkOf(c, 'backup:freshness', 'redis');
  t.same(verdict(redis), { status: 'fail', severity: 'SEV2' });
  t.match(redis?.output, /^newest \/data\/dump\.rdb: 30h(\d+s)? old, 0 B \(fail: older than max_age 26h, smaller than min_size 1 B\); 1 file kept$/);
  t.match(checkOf(c, 'backup:freshness', 'old')?.output, /\(fail: older than max_age 26h\)/);
  const none = checkOf(c, 'backup:freshness', 'none');
  t.same(verdict(none), { status: 'fail', severity: 'SEV2' });
  t.equal(none?.output, 'no file matches /backups/*/orchestrator-full.sql');
  t.equal(valueOf(c, m.backupFiles, { rule: 'none' }), 0);
  t.equal(valueOf(c, m.backupNewestAge, { rule: 'none' }), undefined, 'no age without a file');
  t.equal(checkOf(c, 'backup:freshness', 'no-dir')?.output, 'no file matches /nowhere/*/x');
});

t.test('symlinks: resolved inside the host root, refused when they climb out of it', async (t) => {
  const base = t.testdir({});
  const root = join(base, 'host');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'backups/real'), { recursive: true });
  mkdirSync(join(root, 'data'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'orchestrator-full.sql'), 'secret, outside the root');
  writeFileSync(join(root, 'data/real.rdb'), 'redis');
  writeFileSync(join(root, 'backups/real/orchestrator-full.sql'), 'inside');
  // A file and a directory climbing out of the root, relatively; an absolute link is the host's path.
  mkdirSync(join(root, 'backups/evil'));
  symlinkSync('../../../outside/orchestrator-full.sql', join(root, 'backups/evil/orchestrator-full.sql'));
  symlinkSync('../../outside', join(root, 'backups/escape'));
  symlinkSync(outside, join(root, 'backups/absolute')); // /…/outside on the host: not under the root
  symlinkSync('/data/real.rdb', join(root, 'data/dump.rdb'));
  symlinkSync('real', join(root, 'backups/latest'));
  symlinkSync('loop', join(root, 'data/loop'));

  t.equal(await resolveInRoot(root, '/backups/evil/orchestrator-full.sql'), 'refused');
  t.equal(await resolveInRoot(root, '/backups/escape/orchestrator-full.sql'), 'refused');
  t.equal(await resolveInRoot(root, '/backups/absolute/orchestrator-full.sql'), 'missing', 'an absolute target is read under the root');
  t.match(await resolveInRoot(root, '/data/dump.rdb'), { real: join(root, 'data/real.rdb') });
  await t.rejects(resolveInRoot(root, '/data/loop'), { code: 'ELOOP' });

  const found = await scan(root, '/backups/*/orchestrator-full.sql');
  t.same(found.files.map((f) => f.path).sort(), ['/backups/latest/orchestrator-full.sql', '/backups/real/orchestrator-full.sql']);
  t.same(found.refused.sort(), ['/backups/escape', '/backups/evil/orchestrator-full.sql'], 'the directory link is refused, not listed');
  t.ok(
    found.files.every((f) => f.sizeBytes === 6),
    'never the outside file (24 bytes)',
  );

  const probe = probeAt(root, [
    { name: 'db', path: '/backups/*/orchestrator-full.sql', max_age: '1h' },
    { name: 'redis', path: '/data/dump.rdb', max_age: '1h' },
    { name: 'only-evil', path: '/backups/evil/orchestrator-full.sql', max_age: '1h' },
  ]);
  const c = await probe.collect(live());
  t.equal(valueOf(c, m.backupFiles, { rule: 'db' }), 2);
  t.equal(valueOf(c, m.backupNewestSize, { rule: 'redis' }), 5, 'an absolute link inside the root is followed');
  t.same(verdict(checkOf(c, 'backup:freshness', 'redis')), { status: 'pass', severity: null });
  t.equal(
    checkOf(c, 'backup:freshness', 'only-evil')?.output,
    'no file matches /backups/evil/orchestrator-full.sql, 1 symlink(s) leaving the host root refused',
  );
  t.same(c.errors.map((e) => `${e.componentId}: ${e.message}`).sort(), [
    `db: /backups/escape: symlink leaves the host root (${root}), not followed`,
    `db: /backups/evil/orchestrator-full.sql: symlink leaves the host root (${root}), not followed`,
    `only-evil: /backups/evil/orchestrator-full.sql: symlink leaves the host root (${root}), not followed`,
  ]);
});

t.test('a hung scan fails its rule after scan_timeout, then is not repeated while pending', async (t) => {
  const { root } = hostRoot(t, { '/data/dump.rdb': [10, 1] });
  let calls = 0;
  const hung = '/nfs/*/dump.sql';
  const probe = probeAt(
    root,
    [
      { name: 'nfs', path: hung, max_age: '26h' },
      { name: 'redis', path: '/data/dump.rdb', max_age: '26h' },
    ],
    { timeout: '1s', scan_timeout: '100ms' },
    {
      scan: (r: string, p: string) => {
        if (p !== hung) return scan(r, p);
        calls++;
        return new Promise<never>(() => {});
      },
    },
  );
  const started = Date.now();
  let c = await probe.collect(live());
  t.ok(Date.now() - started < 900, 'the run ends before its own timeout');
  t.same(verdict(checkOf(c, 'backup:freshness', 'nfs')), { status: 'fail', severity: 'SEV2' });
  t.equal(checkOf(c, 'backup:freshness', 'nfs')?.output, '/nfs/*/dump.sql: scan timed out after 100ms');
  t.same(verdict(checkOf(c, 'backup:freshness', 'redis')), { status: 'pass', severity: null }, 'the other rule is judged');
  c = await probe.collect(live());
  t.match(checkOf(c, 'backup:freshness', 'nfs')?.output, /^\/nfs\/\*\/dump\.sql: scan still pending since \d{4}-\d\d-\d\dT/);
  t.equal(calls, 1, 'no second scan while the first is pending');
  t.match(c.errors, [{ componentId: 'nfs' }]);
});
