// The postgres probe through the real agent against a real server (the machine's when it runs,
// else our own): correct figures, a pg_monitor-only role, no secret anywhere, and no query
// caused by HTTP requests.
import t from 'tap';
import { join } from 'node:path';
import type pg from 'pg';
import { anyPostgres, uniqueName, type PgServer } from '../servers/postgres.ts';
import { captureSpans, metricValue, samplesOf, spansText, startAgent } from '../servers/agent.ts';
import { waitFor } from '../helpers.ts';

const spans = await captureSpans();

/** A database and a login role with only pg_monitor, both dropped at the end. */
async function monitorRole(t: { teardown(fn: () => unknown): void }, server: PgServer, password: string): Promise<{ db: string; role: string }> {
  const db = uniqueName('vigil_db');
  const role = uniqueName('vigil_mon');
  await server.query(`CREATE DATABASE ${db}`);
  await server.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE pg_monitor`);
  t.teardown(async () => {
    await server.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [db]).catch(() => undefined);
    await server.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await server.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });
  return { db, role };
}

t.test('figures match the server, seen through a pg_monitor-only role, and no secret leaks', async (t) => {
  const server = await anyPostgres(t);
  const secret = `pw-${Math.random().toString(36).slice(2)}-Zq9`;
  const { db, role } = await monitorRole(t, server, secret);
  const roleInfo = await server.query<{ rolsuper: boolean; member_of: string[] }>(
    `SELECT rolsuper, array(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid)::text[] AS member_of FROM pg_roles r WHERE rolname = $1`,
    [role],
  );
  t.same(roleInfo[0], { rolsuper: false, member_of: ['pg_monitor'] }, 'the role has pg_monitor and nothing else');

  const dir = t.testdir({ pw: `${secret}\n` });
  const agent = await startAgent(t, {
    postgres: {
      interval: '1s',
      targets: [
        // Same secret in the URL and in a file: neither may show anywhere.
        { name: 'main', url: server.url(db, role, secret), critical: true, thresholds: { lock_waits: { warn: 1 } } },
        { name: 'filed', url: server.url(db, role), password_file: join(dir, 'pw') },
      ],
    },
  });
  await agent.until('postgres:reachable', 'main', 'pass', 20_000);
  await agent.until('postgres:reachable', 'filed', 'pass', 20_000);
  t.equal((await agent.get('/ready')).status, 200);

  let text = (await agent.get('/metrics')).body;
  const [maxConnections] = await server.query<{ max_connections: string }>('SHOW max_connections');
  t.equal(
    metricValue(text, 'vigil_postgres_max_connections', { target: 'main' }),
    Number(maxConnections?.max_connections),
    'max_connections = SHOW max_connections',
  );
  t.equal(metricValue(text, 'vigil_postgres_up', { target: 'main' }), 1);
  t.equal(metricValue(text, 'vigil_postgres_replication_is_replica', { target: 'main' }), 0);
  const [version] = await server.query<{ server_version: string }>('SHOW server_version');
  t.equal(samplesOf(text, 'vigil_postgres_version_info').find((s) => s.labels.target === 'main')?.labels.version, version?.server_version.split(' ')[0]);
  const app = await server.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'vigil:main'`);
  t.equal(app[0]?.n, 1, 'one connection named vigil:main in pg_stat_activity');

  // Other users' idle sessions: without pg_monitor their state would read as unknown (NULL).
  const extra: pg.Client[] = [];
  for (let i = 0; i < 3; i++) extra.push(await server.admin(db));
  t.teardown(() => Promise.all(extra.map((c) => c.end())));
  const byState = async () => {
    const rows = await server.query<{ state: string; n: number }>(
      `SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  };
  // The server's sessions move (other tests may share it): compare until one round agrees.
  // Our reading session is one more `active` than Vigil saw (it opens per query), and Vigil's
  // own session, idle now, was active while it counted.
  let vigil: Record<string, number> = {};
  let truth: Record<string, number> = {};
  const sorted = (o: Record<string, number>) =>
    JSON.stringify(
      Object.entries(o)
        .filter(([, n]) => n > 0)
        .sort(),
    );
  await waitFor(
    async () => {
      text = (await agent.get('/metrics')).body;
      vigil = Object.fromEntries(
        samplesOf(text, 'vigil_postgres_connections')
          .filter((s) => s.labels.target === 'main')
          .map((s) => [s.labels.state as string, s.value]),
      );
      truth = await byState();
      truth.idle = (truth.idle ?? 0) - 1;
      return sorted(vigil) === sorted(truth);
    },
    30_000,
    300,
  ).catch(() => undefined);
  t.equal(sorted(vigil), sorted(truth), 'connections by state match pg_stat_activity');
  t.ok((vigil.idle ?? 0) >= 3, `other users' idle sessions are seen (${vigil.idle} idle)`);
  t.notOk('unknown' in vigil, 'no session state hidden from the pg_monitor role');
  const used = await agent.check('postgres:connections', 'main');
  t.match(used?.output, /% of connections in use, \d+ of \d+/);
  const [reserved] = await server.query<{ n: number }>(
    `SELECT current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true), '0')::int AS n`,
  );
  t.equal(metricValue(text, 'vigil_postgres_reserved_connections', { target: 'main' }), reserved?.n);

  // A blocked lock and a long transaction.
  const [holder, waiter] = extra as [pg.Client, pg.Client];
  await holder.query('CREATE TABLE IF NOT EXISTS vigil_lock_test (id int)');
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE vigil_lock_test IN ACCESS EXCLUSIVE MODE');
  const blocked = waiter.query('SELECT count(*) FROM vigil_lock_test').catch(() => undefined);
  await agent.until('postgres:lock_waits', 'main', 'warn', 15_000);
  const waits = await agent.check('postgres:lock_waits', 'main');
  t.ok((waits?.observedValue as number) >= 1, `lock waits seen: ${waits?.output}`);
  t.equal(waits?.playbook, 'Severe Performance Degradation');
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const oldest = await agent.check('postgres:oldest_transaction', 'main');
  t.ok((oldest?.observedValue as number) >= 1.5, `oldest transaction age grows: ${oldest?.output}`);
  await holder.query('COMMIT');
  await blocked;

  // No secret in any output: logs, health documents, metrics, spans.
  const everything = `${await agent.outputs()}\n${spansText(spans)}`;
  t.notOk(everything.includes(secret), 'the password appears nowhere');
  const selects = spans.getFinishedSpans().filter((s) => s.name === 'SELECT' && s.attributes['vigil.target'] === 'main');
  t.ok(selects.length > 0, 'SELECT spans recorded');
  t.match(selects[0]?.attributes, { 'db.system.name': 'postgresql', 'server.address': server.host, 'server.port': server.port, 'vigil.target': 'main' });
});

t.test('1,000 requests to /ready and /health/detailed send no query to PostgreSQL', async (t) => {
  const server = await anyPostgres(t);
  const { db, role } = await monitorRole(t, server, 'unused');
  const agent = await startAgent(t, { postgres: { interval: '1h', targets: [{ name: 'amp', url: server.url(db, role) }] } });
  await agent.until('postgres:reachable', 'amp', 'pass', 20_000);
  // Counters read from another database, so our reads do not count; a backend reports its
  // statistics at most 10 s after going idle (PGSTAT_IDLE_INTERVAL): wait them out.
  const counters = async () => {
    const [row] = await server.query<{ xact_commit: string; query_start: Date; state_change: Date }>(
      `SELECT d.xact_commit, a.query_start, a.state_change FROM pg_stat_database d, pg_stat_activity a WHERE d.datname = $1 AND a.application_name = 'vigil:amp'`,
      [db],
    );
    return { xact: Number(row?.xact_commit), queryStart: row?.query_start.toISOString() };
  };
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const before = await counters();
  const statuses = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    statuses.add((await agent.get('/ready')).status);
    statuses.add((await agent.get('/health/detailed')).status);
  }
  t.same([...statuses], [200], 'every request answered 200');
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const after = await counters();
  t.equal(after.xact - before.xact, 0, `xact_commit unchanged (${before.xact} → ${after.xact})`);
  t.equal(after.queryStart, before.queryStart, "Vigil's session ran no query");
});
