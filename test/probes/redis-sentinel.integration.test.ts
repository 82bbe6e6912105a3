// Three real sentinels watching a master and its replica on loopback: the quorum and the master
// as SENTINEL MASTER / CKQUORUM say; the master killed → s_down (warn), o_down (fail), the
// sentinels' failover, and Vigil probing the new master within one interval; two sentinels gone
// → CKQUORUM fails.
import t from 'tap';
import { ownRedis, redisCli, type RedisServer } from '../servers/redis.ts';
import { metricValue, samplesOf, startAgent } from '../servers/agent.ts';
import { pairs } from '../../src/probes/redis/cluster.ts';
import { parseInfo } from '../../src/probes/redis/client.ts';
import { waitFor } from '../helpers.ts';

const addr = (n: RedisServer) => `${n.host}:${n.port}`;
const cli = (n: RedisServer, ...args: string[]) => redisCli(['-h', n.host, '-p', String(n.port), ...args]);

t.test('a sentinel target follows its master across a failover', async (t) => {
  const master = await ownRedis(t);
  // Priority 0: not promotable, so o_down lasts until the test allows the failover.
  const replica = await ownRedis(t, { config: [`replicaof 127.0.0.1 ${master.port}`, 'replica-priority 0'] });
  // The first sentinel (the one Vigil reads on a tie) sees the master down after 1 s, the others
  // after 60 s: s_down without o_down until their timeout is lowered.
  const sentinels: RedisServer[] = [];
  for (const downAfter of [1000, 60_000, 60_000]) {
    sentinels.push(
      await ownRedis(t, {
        sentinel: true,
        config: [
          `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds mymaster ${downAfter}`,
          'sentinel failover-timeout mymaster 2000',
        ],
      }),
    );
  }
  const masterOf = async (s: RedisServer) => pairs((await s.command('SENTINEL', 'MASTER', 'mymaster')) as unknown[]);
  await waitFor(
    async () => {
      for (const s of sentinels) {
        const p = await masterOf(s);
        if (p.get('num-other-sentinels') !== '2' || p.get('num-slaves') !== '1') return false;
      }
      return true;
    },
    30_000,
    200,
  );

  const agent = await startAgent(t, {
    redis: {
      interval: '1s',
      failure_threshold: 1,
      targets: [{ name: 'ha', sentinels: sentinels.map(addr), master_name: 'mymaster', command_timeout: '500ms' }],
    },
  });
  await agent.until('redis:sentinel_master', 'ha', 'pass', 20_000);
  await agent.until('redis:sentinel_quorum', 'ha', 'pass', 10_000);
  let text = '';
  const metrics = async () => (text = (await agent.get('/metrics')).body);
  await waitFor(async () => metricValue(await metrics(), 'vigil_redis_up', { target: 'ha', member: addr(master) }) === 1, 10_000, 100);

  // Readings as the sentinels and the master say.
  const p = await masterOf(sentinels[0]!);
  t.equal(metricValue(text, 'vigil_redis_sentinel_master_info', { target: 'ha', master_name: 'mymaster', master: addr(master) }), 1, 'the master address');
  t.equal(metricValue(text, 'vigil_redis_sentinel_sentinels', { target: 'ha' }), Number(p.get('num-other-sentinels')) + 1, 'sentinels seen');
  t.equal(metricValue(text, 'vigil_redis_sentinel_quorum', { target: 'ha' }), Number(p.get('quorum')));
  t.equal(metricValue(text, 'vigil_redis_sentinel_replicas', { target: 'ha', state: 'all' }), Number(p.get('num-slaves')));
  t.equal(metricValue(text, 'vigil_redis_sentinel_master_sdown', { target: 'ha' }), 0);
  for (const s of sentinels) t.equal(metricValue(text, 'vigil_redis_sentinel_up', { target: 'ha', sentinel: addr(s) }), 1);
  const quorum = await agent.check('redis:sentinel_quorum', 'ha');
  t.equal(quorum?.output, `${(await cli(sentinels[0]!, 'SENTINEL', 'CKQUORUM', 'mymaster')).trim()} (${addr(sentinels[0]!)})`, 'CKQUORUM as redis-cli gets it');
  const info = parseInfo(await cli(master, 'INFO', 'replication'));
  t.equal(
    metricValue(text, 'vigil_redis_connected_slaves', { target: 'ha', member: addr(master), shard: 'mymaster' }),
    Number(info.get('connected_slaves')),
    'the master probed as a member',
  );
  t.equal((await agent.check('redis:reachable', `ha/${addr(master)}`))?.status, 'pass');

  // The master killed: s_down for the first sentinel (warn)…
  const t0 = Date.now();
  await master.stop();
  await agent.until('redis:sentinel_master', 'ha', 'warn', 15_000);
  t.comment(`s_down seen ${Date.now() - t0} ms after the master was killed (down-after-milliseconds 1000)`);
  t.match(await agent.check('redis:sentinel_master', 'ha'), { severity: 'SEV3', playbook: 'Redis Issues', output: /subjectively down \(s_down\)/ });
  t.equal((await agent.check('redis:reachable', `ha/${addr(master)}`))?.status, 'fail', 'the master unreachable');
  // …o_down once the others agree (fail); no failover while the replica may not be promoted.
  const t1 = Date.now();
  for (const s of sentinels.slice(1)) await cli(s, 'SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '1000');
  await agent.until('redis:sentinel_master', 'ha', 'fail', 15_000);
  t.comment(`o_down seen ${Date.now() - t1} ms after the other sentinels' timeout was lowered`);
  t.match(await agent.check('redis:sentinel_master', 'ha'), { severity: 'SEV2', output: /objectively down \(o_down\)/ });
  t.equal(metricValue(await metrics(), 'vigil_redis_sentinel_master_odown', { target: 'ha' }), 1);

  // The replica may be promoted: the sentinels fail over, Vigil follows within one interval.
  await cli(replica, 'CONFIG', 'SET', 'replica-priority', '100');
  await waitFor(async () => (await cli(sentinels[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).includes(String(replica.port)), 30_000, 50);
  const switched = Date.now();
  await waitFor(async () => metricValue(await metrics(), 'vigil_redis_up', { target: 'ha', member: addr(replica) }) === 1, 5_000, 50);
  const followMs = Date.now() - switched;
  t.comment(`new master probed ${followMs} ms after the sentinels named it (interval 1 s)`);
  t.ok(followMs <= 2000, 'within one interval (and the scrape)');
  t.equal(metricValue(text, 'vigil_redis_sentinel_master_info', { target: 'ha', master_name: 'mymaster', master: addr(replica) }), 1);
  t.notOk(
    samplesOf(text, 'vigil_redis_up').some((s) => s.labels.member === addr(master)),
    'the old master is no longer a member',
  );
  await agent.until('redis:sentinel_master', 'ha', 'pass', 15_000);
  t.match((await agent.check('redis:sentinel_master', 'ha'))?.output, new RegExp(`at ${addr(replica)} up`));
  t.equal((await agent.check('redis:reachable', `ha/${addr(replica)}`))?.status, 'pass');

  // Two sentinels gone: no quorum.
  await sentinels[1]!.stop();
  await sentinels[2]!.stop();
  await agent.until('redis:sentinel_quorum', 'ha', 'fail', 20_000);
  const noQuorum = await agent.check('redis:sentinel_quorum', 'ha');
  t.match(noQuorum, { severity: 'SEV2', output: /NOQUORUM/ });
  await waitFor(async () => metricValue(await metrics(), 'vigil_redis_sentinel_up', { target: 'ha', sentinel: addr(sentinels[1]!) }) === 0, 5_000, 100);
  t.equal(metricValue(text, 'vigil_redis_sentinel_quorum_ok', { target: 'ha' }), 0);
});
