// Redis Cluster and Sentinel targets without a server: their config (paths of every problem, no
// I/O), CLUSTER NODES / SHARDS and SENTINEL replies as the probe reads them, and the optional
// member labels of the metric store.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import type { RedisOptions } from '../../src/probes/redis/index.ts';
import { healthy, labelShards, parseClusterNodes, reportCluster } from '../../src/probes/redis/cluster.ts';
import { countReplicas, freshest, parseSentinelMaster, reportSentinel } from '../../src/probes/redis/sentinel.ts';
import { parseInfo } from '../../src/probes/redis/client.ts';
import * as m from '../../src/probes/redis/metadata.ts';
import { MetricStore } from '../../src/metrics/family.ts';
import { emptyCollection } from '../../src/probes/types.ts';
import { redisConfig } from '../../src/probes/redis/config.ts';

function resolve(section: unknown) {
  const problems: string[] = [];
  const out = redisConfig.resolve({ section: redisConfig.schema.parse(section), defaults: BUILTIN_SCHEDULE, env: {} }, (p, msg) =>
    problems.push(`${p}: ${msg}`),
  );
  return { options: out.map((s) => s.options as RedisOptions), names: out.map((s) => s.name), problems };
}

t.test('cluster and sentinel targets: config', async (t) => {
  const ok = resolve({
    targets: [
      { name: 'sessions', url: 'redis://vigil@r0:7000', mode: 'cluster', seeds: ['r1:7001', '[::1]:7002', 'r3'] },
      {
        sentinels: ['s0:26379', 's1', '[fd00::1]:26380'],
        master_name: 'mymaster',
        password_file: '/run/master-pw',
        sentinel_password_file: '/run/sentinel-pw',
        tls: { ca_file: '/ca.pem' },
      },
      { url: 'redis://plain:6379' },
    ],
  });
  t.same(ok.problems, []);
  t.same(ok.names, ['redis/sessions', 'redis/mymaster', 'redis/plain:6379'], 'a sentinel target is named by its master');
  const [cluster, sentinel, plain] = ok.options;
  t.equal(cluster?.mode, 'cluster');
  t.same(cluster?.seeds, [
    { host: 'r1', port: 7001 },
    { host: '::1', port: 7002 },
    { host: 'r3', port: 6379 },
  ]);
  t.same(sentinel?.sentinel, {
    masterName: 'mymaster',
    sentinels: [
      { host: 's0', port: 26379 },
      { host: 's1', port: 26379 },
      { host: 'fd00::1', port: 26380 },
    ],
    password: undefined,
    passwordFile: '/run/sentinel-pw',
  });
  t.equal(sentinel?.passwordFile, '/run/master-pw', "the master's password is the target's");
  t.ok(sentinel?.tls, 'the tls: block turns TLS on without a URL');
  t.equal(sentinel?.display, 'sentinel master mymaster');
  t.equal(plain?.mode, 'auto', 'a plain target detects a cluster');
  t.equal(plain?.sentinel, null);

  const bad = resolve({
    targets: [
      { name: 'a', sentinels: ['s0:99999', 'bad host:1'] },
      { name: 'b', url: 'redis://h', master_name: 'm', sentinel_password: 'x' },
      { name: 'c', url: 'redis://h', sentinels: ['s0'], master_name: 'm', sentinel_password: 'x', sentinel_password_file: '/f' },
      { name: 'd', mode: 'single', url: 'redis://h', seeds: ['x:1'] },
      { name: 'e' },
    ],
  });
  t.same(bad.problems, [
    'targets.0.master_name: is required with sentinels',
    'targets.0.sentinels.0: must be host:port',
    'targets.0.sentinels.1: must be host:port',
    'targets.1.master_name: needs sentinels',
    'targets.1.sentinel_password: needs sentinels',
    'targets.2.url: not used with sentinels: they name the master (password, username and tls apply to it)',
    'targets.2.sentinel_password_file: give sentinel_password or sentinel_password_file, not both',
    'targets.3.seeds: not used with mode: single',
    'targets.4.url: is required (or sentinels and master_name)',
  ]);
  t.throws(() => redisConfig.schema.parse({ targets: [{ sentinels: [] }] }), /at least one sentinel/);
});

t.test('CLUSTER NODES and SHARDS: members, roles, shards, health', async (t) => {
  const nodes = parseClusterNodes(readFileSync(join(import.meta.dirname, '../fixtures/redis/cluster-nodes.txt'), 'utf8'));
  t.same(
    nodes.map((n) => n.address),
    ['127.0.0.1:30004', '127.0.0.1:30002', '127.0.0.1:30003', '127.0.0.1:30005', '127.0.0.1:30006', '127.0.0.1:30001'],
    'the noaddr node left out; hostname dropped',
  );
  const byPort = new Map(nodes.map((n) => [n.port, n]));
  t.same(byPort.get(30006)?.slots, ['10923-16383'], 'a migrating slot is not served');
  t.equal(byPort.get(30003)?.linkUp, false);
  t.notOk(healthy(byPort.get(30003)!), 'flagged fail');
  // 7.0 SHARDS: no shard id, a replica still at offset 0 is "loading" and not counted against it.
  labelShards(nodes, [
    [
      'slots',
      [0, 5460],
      'nodes',
      [
        ['id', 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca', 'port', 30001, 'ip', '127.0.0.1', 'role', 'master', 'replication-offset', 1200, 'health', 'online'],
        ['id', '07c37dfeb235213a872192d90877d0cd55635b91', 'role', 'replica', 'replication-offset', 0, 'health', 'loading'],
      ],
    ],
  ]);
  t.equal(byPort.get(30004)?.shard, '0-5460', "a replica in its master's shard, named by the slots");
  t.equal(byPort.get(30001)?.offset, 1200);
  t.ok(healthy(byPort.get(30004)!), 'loading at offset 0 is not unhealthy');
  t.equal(byPort.get(30003)?.shard, '127.0.0.1:30003', 'a master without slots: its address');
  labelShards(nodes, [['id', 'shard-abc', 'slots', [], 'nodes', [['id', '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1', 'health', 'failed']]]]);
  t.equal(byPort.get(30002)?.shard, 'shard-abc', 'the shard id of Redis 7.2');
  t.notOk(healthy(byPort.get(30002)!));

  const out = emptyCollection();
  const info = parseInfo(
    'cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:10923\r\ncluster_slots_pfail:5461\r\ncluster_slots_fail:0\r\ncluster_known_nodes:6\r\ncluster_size:3\r\n',
  );
  reportCluster('sessions', '127.0.0.1:30001', info, nodes, out);
  const state = out.checks.find((c) => c.check === m.clusterStateCheck);
  t.match(state, { status: 'warn', severity: 'SEV3', observedValue: 5461 });
  const replicas = out.checks.filter((c) => c.check === m.clusterReplicasCheck);
  t.same(
    replicas.map((c) => [c.componentId, c.status]),
    [
      ['sessions/127.0.0.1:30002', 'pass'],
      ['sessions/127.0.0.1:30006', 'warn'],
      ['sessions/127.0.0.1:30001', 'pass'],
    ],
    'masters serving slots only (not the failed 30003): 30006 has no replica',
  );
});

t.test('cluster_state: fail on a failed slot or cluster_state:fail, warn on unassigned slots', async (t) => {
  const judged = (text: string) => {
    const out = emptyCollection();
    reportCluster('c', 'x:1', parseInfo(text), [], out);
    return out.checks[0];
  };
  t.match(judged('cluster_state:ok\ncluster_slots_assigned:16384\ncluster_slots_fail:1'), { status: 'fail' });
  t.match(judged('cluster_state:fail\ncluster_slots_assigned:16384'), { status: 'fail' });
  t.match(judged('cluster_state:ok\ncluster_slots_assigned:16383'), { status: 'warn', severity: 'SEV3', observedValue: 1 });
  t.match(judged('cluster_state:ok\ncluster_slots_assigned:16384'), { status: 'pass', observedValue: 0 });
});

t.test('SENTINEL replies: the freshest view, flags, replicas', async (t) => {
  const reply = (port: number, flags: string, epoch: number) => [
    'name',
    'mymaster',
    'ip',
    '127.0.0.1',
    'port',
    String(port),
    'flags',
    flags,
    'num-other-sentinels',
    '2',
    'quorum',
    '2',
    'config-epoch',
    String(epoch),
    'failover-state',
    'none',
  ];
  const a = parseSentinelMaster('s0:1', reply(6379, 'master', 0))!;
  const b = parseSentinelMaster('s1:1', reply(6380, 'master', 1))!;
  t.equal(freshest([a, b])?.master.port, 6380, 'the higher config epoch: after a failover');
  t.equal(freshest([a, parseSentinelMaster('s1:1', reply(6381, 'master', 0))!])?.sentinel, 's0:1', 'the first on a tie');
  t.equal(parseSentinelMaster('s', ['name', 'x']), undefined);
  t.same(
    countReplicas([
      ['flags', 'slave'],
      ['flags', 'slave,s_down,disconnected'],
    ]),
    { all: 2, up: 1 },
  );
  const judged = (flags: string) => {
    const out = emptyCollection();
    reportSentinel('ha', 'mymaster', parseSentinelMaster('s0:1', reply(6379, flags, 0)), { ok: true, text: 'OK' }, undefined, out);
    return out.checks.find((c) => c.check === m.sentinelMasterCheck);
  };
  t.match(judged('master'), { status: 'pass' });
  t.match(judged('master,s_down'), { status: 'warn', severity: 'SEV3' });
  t.match(judged('master,s_down,o_down'), { status: 'fail' });
  t.match(judged('master,failover_in_progress'), { status: 'warn' });
  const none = emptyCollection();
  reportSentinel('ha', 'mymaster', undefined, { ok: false, text: 'no sentinel answered' }, undefined, none);
  t.same(
    none.checks.map((c) => [c.check.id, c.status]),
    [
      ['redis:sentinel_quorum', 'fail'],
      ['redis:sentinel_master', 'fail'],
    ],
  );
});

t.test('member labels are optional: a single server keeps target alone', async (t) => {
  const store = new MetricStore();
  store.register(m.up);
  store.publish('a', [m.up], [{ metric: m.up, labels: { target: 'cache' }, value: 1 }]);
  store.publish(
    'b',
    [m.up],
    [
      { metric: m.up, labels: { target: 'cl', member: '10.0.0.1:6379', shard: '0-5460' }, value: 1 },
      { metric: m.up, labels: { target: 'cl', member: '10.0.0.2:6379', shard: '0-5460' }, value: 0 },
    ],
  );
  t.equal(store.value(m.up, { target: 'cache' }), 1);
  t.equal(store.value(m.up, { target: 'cl', member: '10.0.0.2:6379', shard: '0-5460' }), 0, 'one series per member');
  store.publish('b', [m.up], [{ metric: m.up, labels: { target: 'cl', member: '10.0.0.1:6379', shard: '0-5460' }, value: 1 }]);
  t.equal(store.value(m.up, { target: 'cl', member: '10.0.0.2:6379', shard: '0-5460' }), undefined, 'a member gone: its series dropped');
});
