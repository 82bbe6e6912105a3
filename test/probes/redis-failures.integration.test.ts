// Failure modes of a Redis target, each against a server of our own, through the agent: the
// check fails within timeout + interval, /health stays 200 and fast, /ready follows the target's
// critical flag, and the check recovers within one interval without restarting Vigil.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownRedis, type RedisServer } from '../servers/redis.ts';
import { startAgent } from '../servers/agent.ts';
import { outage } from '../servers/outage.ts';
import { blackhole } from '../servers/net.ts';
import { freePort } from '../../bench/lib.ts';
import { waitFor } from '../helpers.ts';

const INTERVAL_MS = 2000;
const TIMEOUT_MS = 1500;
const schedule = { interval: `${INTERVAL_MS}ms`, timeout: `${TIMEOUT_MS}ms`, failure_threshold: 1, success_threshold: 1 };

async function vigilClients(server: RedisServer, target: string): Promise<string[]> {
  const list = (await server.command('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=vigil:${target} `));
}

t.test('server stopped, then started again (critical target)', async (t) => {
  const server = await ownRedis(t);
  const agent = await startAgent(t, { redis: { ...schedule, targets: [{ name: 'stopped', url: server.url(), critical: true }] } });
  await agent.until('redis:reachable', 'stopped', 'pass', 20_000);
  const report = await outage(t, agent, {
    check: 'redis:reachable',
    target: 'stopped',
    critical: true,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    breakIt: () => server.stop(),
    restore: () => server.start(),
  });
  t.match(report.failOutput, /ECONNREFUSED|closed|ECONNRESET/);
  t.equal((await vigilClients(server, 'stopped')).length, 1, 'one Vigil connection after recovery');
  t.comment(`stopped: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after start`);
});

t.test('wrong password, then the secret file is rotated (non-critical target)', async (t) => {
  const server = await ownRedis(t, { config: ['user vigil on >right-Secret-1 +ping +info +client|setname'] });
  const dir = t.testdir({ password: 'wrong-Secret-2\n' });
  const file = join(dir, 'password');
  const agent = await startAgent(t, { redis: { ...schedule, targets: [{ name: 'auth', url: server.url('vigil'), password_file: file, critical: false }] } });
  const report = await outage(t, agent, {
    check: 'redis:reachable',
    target: 'auth',
    critical: false,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    restore: async () => writeFileSync(file, 'right-Secret-1\n'),
  });
  t.match(report.failOutput, /WRONGPASS/);
  t.match(report.failOutput, /redis:\/\/vigil@127\.0\.0\.1:\d+/, 'the output names the target by its redacted URL');
  const everything = await agent.outputs();
  t.notOk(everything.includes('right-Secret-1') || everything.includes('wrong-Secret-2'), 'neither password appears in any output');
  t.equal((await vigilClients(server, 'auth')).length, 1);
  t.comment(`wrong password: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after the file was rotated`);
});

t.test('a port that accepts TCP and never answers, then a real server there (critical target)', async (t) => {
  const port = await freePort();
  const hole = await blackhole(port);
  t.teardown(() => hole.close());
  let server: RedisServer | undefined;
  const agent = await startAgent(t, { redis: { ...schedule, targets: [{ name: 'hung', url: `redis://127.0.0.1:${port}`, critical: true }] } });
  const report = await outage(t, agent, {
    check: 'redis:reachable',
    target: 'hung',
    critical: true,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    restore: async () => {
      await hole.close();
      server = await ownRedis(t, { port });
    },
  });
  t.ok(hole.accepted() >= 1, `the hung port accepted ${hole.accepted()} connection(s)`);
  t.match(report.failOutput, /timed out|timeout/i);
  t.equal((await vigilClients(server!, 'hung')).length, 1);
  t.comment(`hung port: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after the real server started`);
});

t.test('server restarted: a new connection within one interval, never two', async (t) => {
  const server = await ownRedis(t);
  const agent = await startAgent(t, { redis: { ...schedule, targets: [{ name: 'restarted', url: server.url(), critical: false }] } });
  await agent.until('redis:reachable', 'restarted', 'pass', 20_000);
  t.equal((await vigilClients(server, 'restarted')).length, 1);
  await server.stop();
  await server.start();
  const backAt = Date.now();
  let entry: Awaited<ReturnType<typeof agent.check>>;
  await waitFor(async () => {
    entry = await agent.check('redis:reachable', 'restarted');
    return entry?.status === 'pass' && new Date(entry.time).getTime() > backAt;
  }, 15_000, 20);
  const recoverMs = new Date(entry!.time).getTime() - backAt;
  t.ok(recoverMs <= INTERVAL_MS * 1.1 + 1500, `passing again ${recoverMs} ms after the restart`);
  t.equal((await vigilClients(server, 'restarted')).length, 1, 'one Vigil connection');
  t.equal((await agent.get('/health')).status, 200);
  t.comment(`restart: passing ${recoverMs} ms after redis-server was back`);
});
