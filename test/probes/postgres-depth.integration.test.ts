// Replication slots, transaction id wraparound, WAL archiving and a standby's WAL receiver,
// watched with a pg_monitor-only role on servers of our own, every reading compared to the
// server's own answer (psql as the superuser).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { chownToPostgres, ownPostgres, ownReplica, psql, type PgServer } from '../servers/postgres.ts';
import { metricValue, samplesOf, startAgent, type TestAgent } from '../servers/agent.ts';
import { waitFor } from '../helpers.ts';

t.setTimeout(240_000);

const MiB = 1024 * 1024;

async function monitored(server: PgServer, thresholds: Record<string, unknown> = {}): Promise<TestAgent> {
  await server.query('CREATE ROLE vigil_mon LOGIN IN ROLE pg_monitor');
  const agent = await startAgent(t, {
    postgres: { interval: '500ms', failure_threshold: 1, targets: [{ name: 'db', url: server.url('postgres', 'vigil_mon'), thresholds }] },
  });
  await agent.until('postgres:reachable', 'db', 'pass', 30_000);
  return agent;
}

/** Writes a little and switches to a new WAL segment `n` times: the LSN moves by about n × 16 MiB. */
async function writeSegments(server: PgServer, n: number): Promise<void> {
  const admin = await server.admin();
  try {
    await admin.query('CREATE TABLE IF NOT EXISTS filler (at timestamptz DEFAULT now())');
    for (let i = 0; i < n; i++) {
      await admin.query('INSERT INTO filler DEFAULT VALUES');
      await admin.query('SELECT pg_switch_wal()');
    }
  } finally {
    await admin.end();
  }
}

const metrics = async (agent: TestAgent) => (await agent.get('/metrics')).body;

t.test('an abandoned slot: retained WAL grows, warns, then is lost past max_slot_wal_keep_size', async (t) => {
  const primary = await ownPostgres(t);
  await primary.query("SELECT pg_create_physical_replication_slot('abandoned', true)");
  const agent = await monitored(primary, { replication_slot_retained: { warn: 48 * MiB } });
  const slot = { target: 'db', slot_name: 'abandoned', slot_type: 'physical', active: 'false' };
  const own = async () =>
    Number(await psql(primary, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) FROM pg_replication_slots WHERE slot_name = 'abandoned'"));

  // Readings equal the server's own pg_wal_lsn_diff once the primary is quiet.
  const settled = async (): Promise<{ vigil: number; server: number }> => {
    let vigil: number | undefined;
    let server = 0;
    await waitFor(
      async () => {
        server = await own();
        vigil = metricValue(await metrics(agent), 'vigil_postgres_replication_slot_retained_bytes', slot);
        return vigil === server && server === (await own());
      },
      15_000,
      100,
    );
    return { vigil: vigil as number, server };
  };
  const first = await settled();
  t.equal(first.vigil, first.server, `retained ${first.vigil} bytes, as pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) says`);
  t.equal((await agent.check('postgres:replication_slots', 'db/abandoned'))?.status, 'pass');

  await writeSegments(primary, 4);
  const grown = await settled();
  t.ok(grown.vigil > first.vigil + 3 * 16 * MiB, `after 4 segment switches: ${first.vigil} → ${grown.vigil} bytes (server: ${grown.server})`);
  t.comment(`retained WAL of the inactive slot: ${first.vigil} → ${grown.vigil} bytes after 4 pg_switch_wal(), equal to the server's ${grown.server}`);
  await agent.until('postgres:replication_slots', 'db/abandoned', 'warn', 10_000);
  const warned = await agent.check('postgres:replication_slots', 'db/abandoned');
  t.match(warned, { status: 'warn', severity: 'SEV3', playbook: 'Disk Space Full', observedValue: grown.server });
  t.match(warned?.output, /MiB WAL retained \(warn ≥ 50331648 bytes\), physical slot, inactive, wal_status reserved/);
  t.equal(metricValue(await metrics(agent), 'vigil_postgres_replication_slot_wal_status', { target: 'db', slot_name: 'abandoned', wal_status: 'reserved' }), 1);
  t.notOk(samplesOf(await metrics(agent), 'vigil_postgres_replication_slot_safe_wal_size_bytes').length, 'no safe_wal_size without max_slot_wal_keep_size');

  // A keep size below what the slot retains: unreserved at once, lost at the next checkpoint.
  await primary.query("ALTER SYSTEM SET max_slot_wal_keep_size = '32MB'");
  await primary.query('SELECT pg_reload_conf()');
  await agent.until('postgres:replication_slots', 'db/abandoned', 'fail', 10_000);
  const unreserved = await agent.check('postgres:replication_slots', 'db/abandoned');
  t.match(unreserved, { status: 'fail', severity: 'SEV2' });
  t.match(unreserved?.output, /wal_status unreserved, .* retained: past max_slot_wal_keep_size/);
  const safe = metricValue(await metrics(agent), 'vigil_postgres_replication_slot_safe_wal_size_bytes', { target: 'db', slot_name: 'abandoned' });
  const serverSafe = Number(await psql(primary, "SELECT safe_wal_size FROM pg_replication_slots WHERE slot_name = 'abandoned'"));
  t.equal(safe, serverSafe, `safe_wal_size ${safe} bytes, as the server says (${serverSafe}): negative once past the keep size`);

  await writeSegments(primary, 1);
  const checkpoint = Date.now();
  await primary.query('CHECKPOINT');
  t.equal(
    await psql(primary, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'abandoned'"),
    'lost',
    'the server says lost after the checkpoint',
  );
  let lostOutput = '';
  await waitFor(async () => /wal_status lost/.test((lostOutput = (await agent.check('postgres:replication_slots', 'db/abandoned'))?.output ?? '')), 10_000, 20);
  const detected = Date.now() - checkpoint;
  t.match(lostOutput, /the WAL it needs was removed/);
  t.comment(`lost slot reported ${detected} ms after the CHECKPOINT returned (interval 500 ms)`);
  t.ok(detected < 2000, `lost reported within 2 s: ${detected} ms`);
  t.equal(
    metricValue(await metrics(agent), 'vigil_postgres_replication_slot_retained_bytes', slot),
    undefined,
    'a lost slot has no restart_lsn: no retained series',
  );
});

t.test('transaction id age of every database equals age(datfrozenxid) from psql', async (t) => {
  const primary = await ownPostgres(t);
  const admin = await primary.admin();
  // Each autocommit statement that asks for one takes a new transaction id.
  for (let i = 0; i < 300; i++) await admin.query('SELECT txid_current()');
  await admin.end();
  const agent = await monitored(primary);
  const rows = async () =>
    (await psql(primary, 'SELECT datname, age(datfrozenxid), mxid_age(datminmxid) FROM pg_database ORDER BY 1')).split('\n').map((line) => line.split('|'));
  let seen: string[][] = [];
  let text = '';
  await waitFor(
    async () => {
      seen = await rows();
      text = await metrics(agent);
      return seen.every(
        ([datname, xid, mxid]) =>
          metricValue(text, 'vigil_postgres_database_xid_age', { target: 'db', datname: datname as string }) === Number(xid) &&
          metricValue(text, 'vigil_postgres_database_mxid_age', { target: 'db', datname: datname as string }) === Number(mxid),
      );
    },
    10_000,
    100,
  ).catch(() => undefined);
  for (const [datname, xid, mxid] of seen) {
    t.equal(
      metricValue(text, 'vigil_postgres_database_xid_age', { target: 'db', datname: datname as string }),
      Number(xid),
      `${datname}: xid age ${xid} as psql says`,
    );
    t.equal(metricValue(text, 'vigil_postgres_database_mxid_age', { target: 'db', datname: datname as string }), Number(mxid), `${datname}: mxid age ${mxid}`);
  }
  t.ok(
    seen.some(([, xid]) => Number(xid) >= 300),
    `the 300 transactions show: ${seen.map(([d, x]) => `${d} ${x}`).join(', ')}`,
  );
  t.comment(`age(datfrozenxid) from psql: ${seen.map(([d, x]) => `${d} ${x}`).join(', ')}; Vigil's series equal`);
  const oldest = Math.max(...seen.map(([, xid]) => Number(xid)));
  const check = await agent.check('postgres:xid_age', 'db');
  t.match(check, { status: 'pass', observedValue: Math.round((oldest / 2 ** 31) * 100 * 100) / 100 });
  t.match(check?.output, new RegExp(`% of the wraparound limit, database \\w+, transaction id age ${oldest} of 2147483648`));
});

t.test('WAL archiving: a failing archive_command fails, fixed passes, a stalled one warns', async (t) => {
  const archive = mkdtempSync(join(tmpdir(), 'vigil-wal-archive-'));
  chownToPostgres(archive);
  t.teardown(() => rmSync(archive, { recursive: true, force: true }));
  // archive_command through ALTER SYSTEM: a -c on the command line would win over it.
  const primary = await ownPostgres(t, { settings: { archive_mode: 'on' } });
  const setCommand = async (command: string) => {
    await primary.query(`ALTER SYSTEM SET archive_command = '${command.replaceAll("'", "''")}'`);
    await primary.query('SELECT pg_reload_conf()');
  };
  await setCommand('false');
  const agent = await monitored(primary, { wal_archive_age: { warn: 3 } });

  const failing = Date.now();
  await writeSegments(primary, 1);
  await agent.until('postgres:wal_archiving', 'db', 'fail', 15_000);
  t.comment(`failing archive_command reported ${Date.now() - failing} ms after pg_switch_wal()`);
  const failed = await agent.check('postgres:wal_archiving', 'db');
  t.match(failed, { status: 'fail', severity: 'SEV2', playbook: 'Backup Verification' });
  t.match(failed?.output, /failed archive_command|the last archive_command failed/);
  const serverFailed = Number(await psql(primary, 'SELECT failed_count FROM pg_stat_archiver'));
  await waitFor(
    async () =>
      metricValue(await metrics(agent), 'vigil_postgres_archiver_failed_total', { target: 'db' }) ===
      Number(await psql(primary, 'SELECT failed_count FROM pg_stat_archiver')),
    5000,
    100,
  );
  t.pass(`vigil_postgres_archiver_failed_total equals pg_stat_archiver.failed_count (${serverFailed} at first reading)`);
  // The archiver retries a minute later: between attempts the check stays failed.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.equal((await agent.check('postgres:wal_archiving', 'db'))?.status, 'fail', 'still failed between two attempts');

  const fixed = Date.now();
  await setCommand(`cp %p ${archive}/%f`);
  await agent.until('postgres:wal_archiving', 'db', 'pass', 30_000);
  t.comment(`fixed archive_command: pass ${Date.now() - fixed} ms after the reload`);
  const passed = await agent.check('postgres:wal_archiving', 'db');
  t.match(passed?.output, /last archived [0-9A-F]{24} .* s ago, 0 complete segments waiting/);
  t.equal(metricValue(await metrics(agent), 'vigil_postgres_archiver_segments_waiting', { target: 'db' }), 0);
  t.equal(await psql(primary, "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'"), '0', 'no .ready file in archive_status either');
  const archived = Number(await psql(primary, 'SELECT archived_count FROM pg_stat_archiver'));
  t.equal(
    metricValue(await metrics(agent), 'vigil_postgres_archiver_archived_total', { target: 'db' }),
    archived,
    `archived_total ${archived} as pg_stat_archiver says`,
  );

  // Idle for longer than the warn level: nothing waits, so an old last archive is fine.
  await new Promise((resolve) => setTimeout(resolve, 3500));
  t.equal((await agent.check('postgres:wal_archiving', 'db'))?.status, 'pass', 'an idle primary with nothing to archive passes');
  const lastAge = metricValue(await metrics(agent), 'vigil_postgres_archiver_last_archive_age_seconds', { target: 'db' }) ?? 0;
  t.ok(lastAge >= 3, `last archive age ${lastAge} s`);

  // A slow archive_command: a segment waits while the last archive ages past the level.
  await setCommand(`sleep 6 && cp %p ${archive}/%f`);
  await writeSegments(primary, 1);
  await agent.until('postgres:wal_archiving', 'db', 'warn', 10_000);
  const warned = await agent.check('postgres:wal_archiving', 'db');
  t.match(warned, { status: 'warn', severity: 'SEV3' });
  t.match(warned?.output, /s ago \(warn ≥ 3 s\), 1 complete segment waiting/);
  t.equal(await psql(primary, "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'"), '1', 'archive_status holds one .ready file');
  await agent.until('postgres:wal_archiving', 'db', 'pass', 20_000);
  t.pass('archived: passes again');
});

t.test('a standby whose primary stopped: the WAL receiver is not streaming, replication_lag fails though replay looks caught up', async (t) => {
  const primary = await ownPostgres(t);
  const replica = await ownReplica(t, primary);
  await primary.query('CREATE ROLE vigil_mon LOGIN IN ROLE pg_monitor');
  await waitFor(async () => (await psql(replica, "SELECT count(*) FROM pg_roles WHERE rolname = 'vigil_mon'")) === '1', 15_000, 100);
  const agent = await startAgent(t, {
    postgres: { interval: '500ms', failure_threshold: 1, targets: [{ name: 'replica', url: replica.url('postgres', 'vigil_mon') }] },
  });
  await agent.until('postgres:replication_lag', 'replica', 'pass', 30_000);
  t.equal(await psql(replica, 'SELECT status FROM pg_stat_wal_receiver'), 'streaming');
  t.equal(metricValue(await metrics(agent), 'vigil_postgres_wal_receiver_streaming', { target: 'replica' }), 1);

  const stopped = Date.now();
  await primary.stop();
  await agent.until('postgres:replication_lag', 'replica', 'fail', 15_000);
  const detected = Date.now() - stopped;
  const failed = await agent.check('postgres:replication_lag', 'replica');
  t.match(failed, { status: 'fail', severity: 'SEV2', playbook: 'Database Down' });
  t.match(failed?.output, /not streaming from the primary \((no WAL receiver running|WAL receiver \w+)\)/);
  const server = await psql(replica, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')");
  t.not(server, 'streaming', `the replica's own pg_stat_wal_receiver: ${server}`);
  t.equal(metricValue(await metrics(agent), 'vigil_postgres_replication_lag_seconds', { target: 'replica' }), 0, 'the lag alone reads 0');
  t.equal(metricValue(await metrics(agent), 'vigil_postgres_wal_receiver_streaming', { target: 'replica' }), 0);
  t.comment(`receiver not streaming reported ${detected} ms after pg_ctl stop returned (interval 500 ms); the replica says ${server}`);

  const started = Date.now();
  await primary.start();
  await agent.until('postgres:replication_lag', 'replica', 'pass', 30_000);
  t.comment(`streaming again, pass ${Date.now() - started} ms after the primary started`);
  t.equal(metricValue(await metrics(agent), 'vigil_postgres_wal_receiver_streaming', { target: 'replica' }), 1);
});
