// 50 outages in a row (a proxy in front of the server, cut and restored): Vigil never holds more
// than one connection to the server, and the server sees at most one afterwards.
import t from 'tap';
import { anyRedis } from '../servers/redis.ts';
import { startAgent } from '../servers/agent.ts';
import { cuttableProxy } from '../servers/net.ts';
import { cutCycles } from '../servers/outage.ts';

t.test('50 fail/recover cycles leave at most one Vigil connection on the server', async (t) => {
  const server = await anyRedis(t);
  const proxy = await cuttableProxy(server.port);
  t.teardown(() => proxy.close());
  const target = `cycles-${process.pid}`;
  const agent = await startAgent(t, {
    redis: { interval: '250ms', failure_threshold: 1, targets: [{ name: target, url: `redis://127.0.0.1:${proxy.port}` }] },
  });
  await agent.until('redis:reachable', target, 'pass', 20_000);
  const report = await cutCycles(agent, proxy, 'redis:reachable', target, 50);
  t.ok(report.maxLinks <= 1, `at most one link through the proxy at any time (max ${report.maxLinks})`);
  const list = (await server.command('CLIENT', 'LIST')) as string;
  const mine = list.split('\n').filter((line) => line.includes(` name=vigil:${target} `)).length;
  t.equal(mine, 1, `server sees ${mine} Vigil connection after 50 cycles`);
  t.comment(`50 cycles in ${report.elapsedMs} ms; connections afterwards: ${mine}; max proxy links ${report.maxLinks}`);
});
