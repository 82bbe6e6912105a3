// A real streaming replica (pg_basebackup -R from a primary of our own), watched by Vigil with
// a pg_monitor-only role: no false lag on an idle primary, the lag of a paused replay within 1 s
// of the replica's own view, the primary's per-standby bytes, and the runbook's 5 s threshold.
import t from 'tap';
import type pg from 'pg';
import { ownPostgres, ownReplica } from '../servers/postgres.ts';
import { metricValue, samplesOf, startAgent } from '../servers/agent.ts';
import { waitFor } from '../helpers.ts';

t.test('replication lag on a replica and per standby on the primary', async (t) => {
  const primary = await ownPostgres(t);
  await primary.query('CREATE ROLE vigil_mon LOGIN IN ROLE pg_monitor');
  await primary.query('CREATE TABLE ticks (at timestamptz DEFAULT now())');
  const replica = await ownReplica(t, primary);
  const agent = await startAgent(t, {
    postgres: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'primary', url: primary.url('postgres', 'vigil_mon') },
        { name: 'replica', url: replica.url('postgres', 'vigil_mon'), critical: true },
      ],
    },
  });
  await agent.until('postgres:reachable', 'primary', 'pass', 30_000);
  await agent.until('postgres:reachable', 'replica', 'pass', 30_000);
  const admin: pg.Client = await replica.admin();
  t.teardown(() => admin.end());
  const text = async () => (await agent.get('/metrics')).body;
  t.equal(metricValue(await text(), 'vigil_postgres_replication_is_replica', { target: 'replica' }), 1);
  t.equal(metricValue(await text(), 'vigil_postgres_replication_is_replica', { target: 'primary' }), 0);

  // Idle primary: one write, then nothing. The naive now() - last replay grows; Vigil says 0.
  await primary.query('INSERT INTO ticks DEFAULT VALUES');
  await waitFor(
    async () => (await admin.query('SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AS caught_up')).rows[0]?.caught_up === true,
    10_000,
    50,
  );
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const naive = Number((await admin.query('SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp()) AS s')).rows[0]?.s);
  const idle = await agent.check('postgres:replication_lag', 'replica');
  t.ok(naive > 3, `the naive replay-timestamp lag is ${naive.toFixed(1)} s on an idle primary`);
  t.equal(idle?.observedValue, 0, `Vigil reports no false lag: ${idle?.output}`);
  t.equal(idle?.status, 'pass');
  const standbyIdle = (await agent.health()).checks['postgres:replication_lag']?.find((e) => e.componentId.startsWith('primary/'));
  t.ok(standbyIdle, `the primary reports its standby: ${standbyIdle?.componentId}`);
  t.equal(standbyIdle?.status, 'pass');
  const standby = standbyIdle!.componentId.slice('primary/'.length);

  // Pause replay and keep writing: the replica falls behind, and says so itself.
  await admin.query('SELECT pg_wal_replay_pause()');
  const writer = (async () => {
    for (let i = 0; i < 15; i++) {
      await primary.query('INSERT INTO ticks DEFAULT VALUES');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  await writer;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const lagged = await agent.check('postgres:replication_lag', 'replica');
  const at = new Date(lagged!.time);
  const own = Number((await admin.query('SELECT extract(epoch FROM $1::timestamptz - pg_last_xact_replay_timestamp()) AS s', [at.toISOString()])).rows[0]?.s);
  const vigilLag = lagged?.observedValue as number;
  t.ok(vigilLag > 2, `Vigil sees the lag grow: ${lagged?.output}`);
  t.ok(Math.abs(vigilLag - own) <= 1, `Vigil's ${vigilLag} s is within 1 s of the replica's own view at the same instant (${own.toFixed(2)} s)`);
  t.comment(`paused replay: Vigil ${vigilLag} s vs replica's own ${own.toFixed(3)} s (difference ${(vigilLag - own).toFixed(3)} s)`);

  // The primary's view of the same standby: bytes not yet replayed.
  let bytes: number | undefined;
  let truth = 0;
  await waitFor(
    async () => {
      bytes = metricValue(await text(), 'vigil_postgres_stat_replication_lag_bytes', { target: 'primary', standby });
      truth = Number((await primary.query<{ b: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS b FROM pg_stat_replication'))[0]?.b);
      return bytes !== undefined && bytes > 0 && Math.abs(bytes - truth) <= Math.max(1024, truth * 0.05);
    },
    10_000,
    200,
  ).catch(() => undefined);
  t.ok(bytes !== undefined && bytes > 0, `the primary reports ${bytes} bytes not replayed on ${standby}`);
  t.ok(Math.abs((bytes ?? 0) - truth) <= Math.max(1024, truth * 0.05), `close to the primary's own pg_wal_lsn_diff (${truth})`);

  // The runbook's "replication lag < 5 s": the check fails at 5 s (SEV2) and gates /ready.
  await agent.until('postgres:replication_lag', 'replica', 'fail', 15_000);
  const failing = await agent.check('postgres:replication_lag', 'replica');
  t.match(failing, { status: 'fail', severity: 'SEV2', playbook: 'Database Down' });
  t.match(failing?.output, /fail ≥ 5 s/);
  t.equal((await agent.get('/ready')).status, 503, 'a critical replica lagging past 5 s fails /ready');

  await admin.query('SELECT pg_wal_replay_resume()');
  await agent.until('postgres:replication_lag', 'replica', 'pass', 15_000);
  await waitFor(async () => metricValue(await text(), 'vigil_postgres_replication_lag_seconds', { target: 'replica' }) === 0, 15_000, 100);
  t.pass('caught up: lag back to 0');
  await waitFor(
    async () => samplesOf(await text(), 'vigil_postgres_stat_replication_replay_lag_seconds').some((s) => s.labels.target === 'primary'),
    15_000,
    100,
  );
  t.pass('the primary reports replay_lag seconds per standby');
  t.equal((await agent.get('/ready')).status, 200);
});
