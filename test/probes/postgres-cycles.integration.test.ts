// 50 outages in a row (a proxy in front of the server, cut and restored): Vigil never holds more
// than one session to the server, and the server sees at most one afterwards.
import t from 'tap';
import { anyPostgres } from '../servers/postgres.ts';
import { startAgent } from '../servers/agent.ts';
import { cuttableProxy } from '../servers/net.ts';
import { cutCycles } from '../servers/outage.ts';

t.test('50 fail/recover cycles leave at most one Vigil session on the server', async (t) => {
  const server = await anyPostgres(t);
  const proxy = await cuttableProxy(server.port);
  t.teardown(() => proxy.close());
  const target = `cycles-${process.pid}`;
  const agent = await startAgent(t, {
    postgres: { interval: '250ms', failure_threshold: 1, targets: [{ name: target, url: `postgres://postgres@127.0.0.1:${proxy.port}/postgres` }] },
  });
  await agent.until('postgres:reachable', target, 'pass', 20_000);
  const report = await cutCycles(agent, proxy, 'postgres:reachable', target, 50);
  t.ok(report.maxLinks <= 1, `at most one link through the proxy at any time (max ${report.maxLinks})`);
  const sessions = await server.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [`vigil:${target}`]);
  t.ok((sessions[0]?.n ?? 99) <= 1, `server sees ${sessions[0]?.n} Vigil session(s) after 50 cycles`);
  t.equal(sessions[0]?.n, 1, 'and it is the live one');
  t.comment(`50 cycles in ${report.elapsedMs} ms; sessions afterwards: ${sessions[0]?.n}; max proxy links ${report.maxLinks}`);
});
