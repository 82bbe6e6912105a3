// A two-broker cluster (KRaft: one broker+controller, one broker) losing a broker: the probe
// keeps reporting what the live broker serves, names the unreachable broker, reports the
// partitions left without a leader, and recovers when the broker returns.
import t from 'tap';
import * as m from '../../src/probes/kafka/metadata.ts';
import type { Collection } from '../../src/probes/types.ts';
import { startBroker } from '../../scripts/kafka.ts';
import { waitFor } from '../helpers.ts';
import { adminFor, brokerFor, coordinatorOf, createTopic, kafkaVersions, probeFor, produce, setOffsets, unique } from '../kafka/broker.ts';

t.setTimeout(600_000);

const find = (c: Collection, id: string, componentId: string) => c.checks.find((o) => o.check.id === id && o.componentId === componentId);
const value = (c: Collection, name: string, labels: Record<string, string>) =>
  c.samples.find((s) => s.metric.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

for (const version of kafkaVersions()) {
  t.test(`Kafka ${version}: one of two brokers stops`, async (t) => {
    const seed = await brokerFor(t, version);
    const second = await startBroker({ version, join: seed });
    t.teardown(() => second.destroy());
    const admin = await adminFor(t, seed);
    await waitFor(async () => (await admin.describeCluster()).brokers.length === 2, 60_000, 250);

    const prefix = unique('vigil-two');
    const topic = `${prefix}-events`;
    await createTopic(admin, topic, 4);
    await produce(seed, topic, [5, 5, 5, 5]);
    // The group must be coordinated by the broker that stays (the offsets topic spreads groups
    // over both brokers); a second one, coordinated by the broker that stops, must turn ERR.
    let group: string | undefined;
    let orphan: string | undefined;
    for (let i = 0; i < 100 && !(group && orphan); i++) {
      const name = `${prefix}-g${i}`;
      const coordinator = await coordinatorOf(seed, name);
      if (coordinator === seed.nodeId) group ??= name;
      if (coordinator === second.nodeId) orphan ??= name;
    }
    if (!group || !orphan) throw new Error('no group name maps to each broker');
    await setOffsets(seed, group, topic, { 0: 1, 1: 1, 2: 1, 3: 1 });
    await setOffsets(seed, orphan, topic, { 0: 1 });
    const victim = second;
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const onVictim = metadata.topics[0]!.partitions.filter((p) => p.leader === victim.nodeId).length;
    t.ok(onVictim > 0 && onVictim < 4, `${onVictim} of 4 partitions led by the broker that stops`);
    // The lag the probe must read is the broker's own: log end offset minus the committed 1. Not
    // a count of what was sent: a producer retry on a loaded machine can write a batch twice.
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const lagOf = (partitions: readonly { partitionId: number }[]) => partitions.reduce((sum, p) => sum + (ends.get(p.partitionId) as number) - 1, 0);
    const totalLag = lagOf(metadata.topics[0]!.partitions);
    const liveLag = lagOf(metadata.topics[0]!.partitions.filter((p) => p.leader !== victim.nodeId));
    t.ok(totalLag >= 16, `lag ${totalLag} (16 unless a batch was written twice)`);

    const probe = probeFor(t, seed, { groupsInclude: `^${prefix}-g`, timeout: '5s' });
    const cluster = `kafka-${version}`;
    const collect = () => probe.collect(AbortSignal.timeout(30_000));

    let c = await collect();
    t.equal(find(c, 'kafka:cluster', cluster)?.status, 'pass');
    t.equal(value(c, m.brokers.name, { cluster }), 2);
    t.equal(value(c, m.lagSum.name, { cluster, group }), totalLag);

    await victim.stop();
    c = await collect();
    const clusterCheck = find(c, 'kafka:cluster', cluster);
    t.ok(clusterCheck?.status !== 'pass', `cluster check ${clusterCheck?.status}: ${clusterCheck?.output}`);
    t.equal(value(c, m.lagSum.name, { cluster, group }), liveLag, 'lag of the partitions the live broker leads');
    t.match(find(c, 'kafka:consumer_lag', `${cluster}/${group}`)?.output, new RegExp(`${onVictim} partition\\(s\\) unavailable`));
    t.equal(find(c, 'kafka:consumer_status', `${cluster}/${orphan}`)?.observedValue, 'ERR', 'a group whose coordinator is down: ERR');
    t.equal(find(c, 'kafka:consumer_lag', `${cluster}/${orphan}`)?.status, 'fail');
    t.equal(value(c, m.groupStatus.name, { cluster, group: orphan }), 5);

    // Once the controller fences the stopped broker its partitions have no leader: offline.
    await waitFor(
      async () => {
        c = await collect();
        return find(c, 'kafka:partitions', cluster)?.status === 'fail';
      },
      90_000,
      1000,
    );
    // __consumer_offsets partitions the stopped broker led are offline too.
    t.ok((value(c, m.offline.name, { cluster }) ?? 0) >= onVictim, `${value(c, m.offline.name, { cluster })} offline partitions counted`);
    t.match(find(c, 'kafka:partitions', cluster)?.output, new RegExp(`\\d+ offline.*${topic}/\\d`));
    t.equal(value(c, m.lagSum.name, { cluster, group }), liveLag, 'the rest is still measured');

    await victim.start();
    await waitFor(
      async () => {
        c = await collect();
        // The restarted broker may answer "coordinator loading" for a few cycles: wait for all green.
        return (
          find(c, 'kafka:partitions', cluster)?.status === 'pass' &&
          find(c, 'kafka:cluster', cluster)?.status === 'pass' &&
          value(c, m.lagSum.name, { cluster, group }) === totalLag
        );
      },
      90_000,
      1000,
    ).catch((err: unknown) => {
      throw new Error(
        `not recovered: ${String(err)}; last: ${JSON.stringify(c.checks.filter((o) => o.check.id === 'kafka:cluster'))} ${JSON.stringify(c.errors)}`,
      );
    });
    t.pass('recovered without a new probe');
    t.equal(find(c, 'kafka:consumer_status', `${cluster}/${orphan}`)?.observedValue !== 'ERR', true, 'the orphaned group is read again');
  });
}
