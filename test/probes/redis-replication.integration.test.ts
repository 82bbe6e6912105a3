// A real Redis replica (REPLICAOF a master of our own): the link is reported up with its age;
// when the master stops, and when the replica is pointed at a dead port, the link-down check
// fails (SEV2) and gates /ready for a critical target.
import t from 'tap';
import { ownRedis, serverInfo } from '../servers/redis.ts';
import { metricValue, startAgent } from '../servers/agent.ts';
import { freePort } from '../../bench/lib.ts';
import { waitFor } from '../helpers.ts';

t.test('replica link up, then down when the master stops or goes away', async (t) => {
  const master = await ownRedis(t);
  const replica = await ownRedis(t, { config: [`replicaof 127.0.0.1 ${master.port}`] });
  await waitFor(async () => (await serverInfo(replica, 'replication')).get('master_link_status') === 'up', 15_000, 50);
  const agent = await startAgent(t, {
    redis: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'master', url: master.url() },
        { name: 'replica', url: replica.url(), critical: true },
      ],
    },
  });
  await agent.until('redis:replication', 'replica', 'pass', 20_000);
  const up = await agent.check('redis:replication', 'replica');
  t.match(up?.output, new RegExp(`link to master 127\\.0\\.0\\.1:${master.port} up, last I/O \\d+ s ago`));
  // Each target runs on its own schedule: the master's first run may come after the replica's.
  let text = '';
  await waitFor(
    async () => {
      text = (await agent.get('/metrics')).body;
      return metricValue(text, 'vigil_redis_connected_slaves', { target: 'master' }) !== undefined;
    },
    15_000,
    100,
  );
  t.equal(metricValue(text, 'vigil_redis_master_link_up', { target: 'replica' }), 1);
  t.equal(metricValue(text, 'vigil_redis_connected_slaves', { target: 'master' }), 1);
  t.equal(metricValue(text, 'vigil_redis_instance_info', { target: 'replica', role: 'slave' }), 1);
  t.notOk(
    (await agent.health()).checks['redis:replication']?.some((e) => e.componentId === 'master'),
    'no link check on the master',
  );

  // The master stops: the link goes down, the check fails.
  await master.stop();
  await agent.until('redis:replication', 'replica', 'fail', 15_000);
  const down = await agent.check('redis:replication', 'replica');
  t.match(down, { status: 'fail', severity: 'SEV2', playbook: 'Redis Issues' });
  t.match(down?.output, /link to master .* down/);
  t.equal((await agent.get('/ready')).status, 503, 'a critical replica without its master fails /ready');
  t.equal((await agent.get('/health')).status, 200);
  await waitFor(
    async () => (metricValue((text = (await agent.get('/metrics')).body), 'vigil_redis_master_link_down_since_seconds', { target: 'replica' }) ?? -1) >= 1,
    15_000,
    100,
  );
  t.pass('link age reported while down');

  // Back up, then break the link without stopping anything: point it at a dead port.
  await master.start();
  await agent.until('redis:replication', 'replica', 'pass', 20_000);
  const dead = await freePort();
  await replica.command('REPLICAOF', '127.0.0.1', dead);
  await agent.until('redis:replication', 'replica', 'fail', 15_000);
  t.match((await agent.check('redis:replication', 'replica'))?.output, new RegExp(`127\\.0\\.0\\.1:${dead} down`));
  await replica.command('REPLICAOF', '127.0.0.1', master.port);
  await agent.until('redis:replication', 'replica', 'pass', 20_000);
  t.equal((await agent.get('/ready')).status, 200);
});
