// `vigil check` with host.root set, as in the DaemonSet: a real redis-server's BGSAVE writes
// <root>/data/dump.rdb (the Athena runbook's "Backup Verification"), and a backup volume (a real
// tmpfs) is mounted at <root>/backups with dated dumps and a symlink pointing out of the root.
// Ages and sizes as stat(1) reads them; the escaping link is refused.
import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCheckCommand } from '../../src/check-command.ts';
import { resolveConfig } from '../../src/config/load.ts';
import { PROBE_KINDS } from '../../src/probes/registry.ts';
import type { HealthDocument } from '../../src/http/health-doc.ts';
import { captureLogs, waitFor } from '../helpers.ts';
import { ownRedis } from '../servers/redis.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';

const run = promisify(execFile);

async function statOf(path: string): Promise<{ mtime: number; size: number }> {
  const [mtime, size] = (await run('stat', ['-c', '%Y %s', path])).stdout.trim().split(' ').map(Number) as [number, number];
  return { mtime, size };
}

t.test('vigil check under host.root: a Redis BGSAVE and a backup volume, read as stat(1) reads them', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'vigil-backups-'));
  const root = join(base, 'host');
  mkdirSync(join(root, 'data'), { recursive: true });
  mkdirSync(join(root, 'backups'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', join(root, 'backups')]);
  t.teardown(() => {
    execFileSync('umount', ['-l', join(root, 'backups')]);
    rmSync(base, { recursive: true, force: true });
  });

  const redis = await ownRedis(t, { config: [`dir ${join(root, 'data')}`, 'dbfilename dump.rdb'] });
  const client = await redis.admin();
  t.teardown(() => client.quit().catch(() => undefined));
  await client.set('order:1', 'x'.repeat(2000));
  await client.bgsave();
  await waitFor(async () => existsSync(join(root, 'data/dump.rdb')) && (await client.info('persistence')).includes('rdb_bgsave_in_progress:0'), 10_000, 50);

  // Three dated dumps, the newest 2 h old; and a directory linking out of the root.
  const now = Math.floor(Date.now() / 1000);
  for (const [day, ageHours] of [
    ['2026-06-12', 50],
    ['2026-06-13', 26.5],
    ['2026-06-14', 2],
  ] as const) {
    mkdirSync(join(root, 'backups', day));
    writeFileSync(join(root, 'backups', day, 'orchestrator-full.sql'), `-- pg_dump ${day}\n`.repeat(100));
    utimesSync(join(root, 'backups', day, 'orchestrator-full.sql'), now - ageHours * 3600, now - ageHours * 3600);
  }
  mkdirSync(join(base, 'elsewhere/2026-06-15'), { recursive: true });
  writeFileSync(join(base, 'elsewhere/2026-06-15/orchestrator-full.sql'), 'not a backup of this host');
  symlinkSync('../../elsewhere/2026-06-15', join(root, 'backups/2026-06-15'));

  const config = resolveConfig(
    {
      host: { root },
      probes: {
        disk: { enabled: false },
        memory: { enabled: false },
        cpu: { enabled: false },
        backups: {
          rules: [
            { name: 'athena-redis', path: '/data/dump.rdb', max_age: '26h', min_size: 16 },
            { name: 'orchestrator-db', path: '/backups/*/orchestrator-full.sql', max_age: '26h', min_size: '1KiB', min_count: 30 },
          ],
        },
      },
    },
    null,
    {},
    PROBE_SECTIONS,
  );
  const logs = captureLogs('warn');
  let out = '';
  const code = await runCheckCommand(config, PROBE_KINDS, logs.logger, { json: true, color: false, write: (s) => (out += s) });
  const checkedAt = Date.now() / 1000;
  const doc = JSON.parse(out) as HealthDocument;
  const entry = (component: string) => doc.checks['backup:freshness']?.find((e) => e.componentId === component);

  const rdb = await statOf(join(root, 'data/dump.rdb'));
  const redisEntry = entry('athena-redis');
  t.equal(redisEntry?.status, 'pass', redisEntry?.output ?? 'no entry');
  t.ok(
    Math.abs((redisEntry?.observedValue as number) - (checkedAt - rdb.mtime)) <= 2,
    `age ${redisEntry?.observedValue} s ≈ now − stat -c %Y = ${(checkedAt - rdb.mtime).toFixed(1)} s`,
  );
  t.match(redisEntry?.output, new RegExp(`^newest /data/dump\\.rdb: \\d+(ms|s) old, ${rdb.size} B; 1 file kept$`), `size ${rdb.size} B = stat -c %s`);

  const sql = await statOf(join(root, 'backups/2026-06-14/orchestrator-full.sql'));
  const db = entry('orchestrator-db');
  t.equal(db?.status, 'warn', '3 of 30 kept: retention warns, the newest is fine');
  t.ok(
    Math.abs((db?.observedValue as number) - (checkedAt - sql.mtime)) <= 2,
    `age ${db?.observedValue} s ≈ now − stat -c %Y (${sql.mtime}) = ${(checkedAt - sql.mtime).toFixed(1)} s`,
  );
  t.match(db?.output, /^newest \/backups\/2026-06-14\/orchestrator-full\.sql: 2h(\d+s)? old, 2\.15 KiB; 3 files kept \(warn < min_count 30\)$/);
  t.notMatch(out, /elsewhere|2026-06-15\/orchestrator/, 'the file out of the root is never read');
  const partial = logs.lines.find((l) => l.event === 'probe.partial_errors');
  t.match(
    JSON.stringify(partial?.details),
    `/backups/2026-06-15: symlink leaves the host root (${root}), not followed`,
    'the escaping link is refused and said',
  );
  t.equal(code, 1, 'exit 1: a warning');
  t.comment(
    `dump.rdb: ${redisEntry?.observedValue} s old, ${rdb.size} B (stat -c '%Y %s': ${rdb.mtime} ${rdb.size}); orchestrator: ${db?.observedValue} s vs now − %Y ${(checkedAt - sql.mtime).toFixed(1)} s`,
  );
});
