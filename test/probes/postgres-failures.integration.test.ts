// Failure modes of a PostgreSQL target, each against a server of our own, through the agent:
// the check fails within timeout + interval, /health stays 200 and fast, /ready follows the
// target's critical flag, and the check recovers within one interval without restarting Vigil.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownPostgres, type PgServer } from '../servers/postgres.ts';
import { startAgent } from '../servers/agent.ts';
import { outage } from '../servers/outage.ts';
import { blackhole } from '../servers/net.ts';
import { freePort } from '../../bench/lib.ts';
import { waitFor } from '../helpers.ts';

const INTERVAL_MS = 2000;
const TIMEOUT_MS = 1500;
const schedule = { interval: `${INTERVAL_MS}ms`, timeout: `${TIMEOUT_MS}ms`, failure_threshold: 1, success_threshold: 1 };

async function vigilSessions(server: PgServer, target: string): Promise<{ n: number; pids: number[] }> {
  const rows = await server.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`vigil:${target}`]);
  return { n: rows.length, pids: rows.map((r) => r.pid) };
}

t.test('server stopped, then started again (critical target)', async (t) => {
  const server = await ownPostgres(t);
  const agent = await startAgent(t, { postgres: { ...schedule, targets: [{ name: 'stopped', url: server.url(), critical: true }] } });
  await agent.until('postgres:reachable', 'stopped', 'pass', 20_000);
  const report = await outage(t, agent, {
    check: 'postgres:reachable',
    target: 'stopped',
    critical: true,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    breakIt: () => server.stop(),
    restore: () => server.start(),
  });
  t.match(report.failOutput, /ECONNREFUSED|terminat|closed/);
  t.equal((await vigilSessions(server, 'stopped')).n, 1, 'one Vigil session after recovery');
  t.comment(`stopped: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after start`);
});

t.test('wrong password, then the secret file is rotated (non-critical target)', async (t) => {
  const server = await ownPostgres(t, { auth: 'scram-sha-256' });
  await server.query("CREATE ROLE vigil LOGIN PASSWORD 'right-Secret-1' IN ROLE pg_monitor");
  const dir = t.testdir({ password: 'wrong-Secret-2\n' });
  const file = join(dir, 'password');
  const agent = await startAgent(t, { postgres: { ...schedule, targets: [{ name: 'auth', url: server.url('postgres', 'vigil'), password_file: file, critical: false }] } });
  const report = await outage(t, agent, {
    check: 'postgres:reachable',
    target: 'auth',
    critical: false,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    restore: async () => writeFileSync(file, 'right-Secret-1\n'),
  });
  t.match(report.failOutput, /password authentication failed for user "vigil"/);
  t.match(report.failOutput, /postgres:\/\/vigil@127\.0\.0\.1:\d+\/postgres/, 'the output names the target by its redacted URL');
  const everything = await agent.outputs();
  t.notOk(everything.includes('right-Secret-1') || everything.includes('wrong-Secret-2'), 'neither password appears in any output');
  t.comment(`wrong password: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after the file was rotated`);
});

t.test('a port that accepts TCP and never answers, then a real server there (critical target)', async (t) => {
  const port = await freePort();
  const hole = await blackhole(port);
  t.teardown(() => hole.close());
  let server: PgServer | undefined;
  const agent = await startAgent(t, { postgres: { ...schedule, targets: [{ name: 'hung', url: `postgres://postgres@127.0.0.1:${port}/postgres`, critical: true }] } });
  const report = await outage(t, agent, {
    check: 'postgres:reachable',
    target: 'hung',
    critical: true,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    restore: async () => {
      await hole.close();
      server = await ownPostgres(t, { port });
    },
  });
  t.ok(hole.accepted() >= 1, `the hung port accepted ${hole.accepted()} connection(s)`);
  t.match(report.failOutput, /timeout|timed out/i);
  t.equal((await vigilSessions(server!, 'hung')).n, 1);
  t.comment(`hung port: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after the real server started`);
});

t.test('server restarted: a new session within one interval, never two', async (t) => {
  const server = await ownPostgres(t);
  const agent = await startAgent(t, { postgres: { ...schedule, targets: [{ name: 'restarted', url: server.url(), critical: false }] } });
  await agent.until('postgres:reachable', 'restarted', 'pass', 20_000);
  const before = await vigilSessions(server, 'restarted');
  t.equal(before.n, 1);
  await server.restart();
  const backAt = Date.now();
  // The old session died with the server; the next run reconnects and passes.
  let entry: Awaited<ReturnType<typeof agent.check>>;
  await waitFor(async () => {
    entry = await agent.check('postgres:reachable', 'restarted');
    return entry?.status === 'pass' && new Date(entry.time).getTime() > backAt;
  }, 15_000, 20);
  const recoverMs = new Date(entry!.time).getTime() - backAt;
  t.ok(recoverMs <= INTERVAL_MS * 1.1 + 1500, `passing again ${recoverMs} ms after the restart finished`);
  t.comment(`restart: passing ${recoverMs} ms after pg_ctl restart returned`);
  const after = await vigilSessions(server, 'restarted');
  t.equal(after.n, 1, 'one Vigil session');
  t.not(after.pids[0], before.pids[0], 'a new session (the old one died with the server)');
  t.equal((await agent.get('/health')).status, 200);
});
