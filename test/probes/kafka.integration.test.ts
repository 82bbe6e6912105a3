// The Kafka probe against a real broker of every tested version (VIGIL_KAFKA_VERSIONS, default
// 3.9.1 and 4.1.1): lag equal to kafka-consumer-groups --describe from the same jars, never
// committed partitions, Empty / deleted groups, STOP, STALL, REWIND, lag in seconds, requests
// per cycle, and KIP-848 groups on 4.x.
import t from 'tap';
import { MetricStore } from '../../src/metrics/family.ts';
import * as m from '../../src/probes/kafka/metadata.ts';
import type { KafkaProbe } from '../../src/probes/kafka/probe.ts';
import type { Collection } from '../../src/probes/types.ts';
import { PER_PARTITION_AUTO_MAX } from '../../src/probes/kafka/config.ts';
import { waitFor } from '../helpers.ts';
import {
  adminFor,
  brokerFor,
  createTopic,
  describeWithTool,
  kafkaVersions,
  probeFor,
  produce,
  publishedGroup,
  requestsSent,
  setOffsets,
  startConsumer,
  unique,
} from '../kafka/broker.ts';

function check(collection: Collection, id: string, componentId: string) {
  const found = collection.checks.find((c) => c.check.id === id && c.componentId === componentId);
  if (!found) throw new Error(`no ${id} for ${componentId} in ${collection.checks.map((c) => `${c.check.id}@${c.componentId}`).join(', ')}`);
  return found;
}

function sample(collection: Collection, metric: { name: string }, labels: Record<string, string>): number | undefined {
  return collection.samples.find((s) => s.metric.name === metric.name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function collect(probe: KafkaProbe): Promise<Collection> {
  return probe.collect(AbortSignal.timeout(30_000));
}

function report(collection: Collection, groupId: string) {
  return publishedGroup(collection, groupId);
}

// Two brokers (JVM starts), a consumer group join and several JVM tool runs: longer than the
// suite's default per-file timeout on a loaded machine.
t.setTimeout(600_000);

for (const version of kafkaVersions()) {
  t.test(`Kafka ${version}`, async (t) => {
    const broker = await brokerFor(t, version);
    const admin = await adminFor(t, broker);
    const prefix = unique('vigil');
    const topic = `${prefix}-orders`;
    await createTopic(admin, topic, 3);
    await produce(broker, topic, [30, 20, 10]);

    const partial = `${prefix}-partial`; // offsets only, partition 2 never committed
    const live = `${prefix}-live`; // a live consumer that commits once, then never again
    await setOffsets(broker, partial, topic, { 0: 12, 1: 20 });
    const consumer = await startConsumer(t, broker, live, topic);
    await consumer.commitOffsets([
      { topic, partition: 0, offset: '25' },
      { topic, partition: 1, offset: '3' },
    ]);

    const probe = probeFor(t, broker, { groupsInclude: `^${prefix}`, statusWindow: 3 });
    const cluster = `kafka-${version}`;

    await t.test('per-partition lag equals kafka-consumer-groups --describe at quiescence', async (t) => {
      const first = await collect(probe);
      t.same(first.errors, []);
      t.equal(check(first, 'kafka:cluster', cluster).status, 'pass');
      t.equal(sample(first, m.brokers, { cluster }), 1);
      for (const groupId of [partial, live]) {
        const tool = await describeWithTool(broker, groupId);
        t.ok(tool.length > 0, `the tool describes ${groupId}`);
        const vigil = report(first, groupId).partitions;
        for (const row of tool) {
          const mine = vigil.find((p) => p.topic === row.topic && p.partition === row.partition);
          t.same(
            mine && { committed: mine.committed, end: mine.end, lag: mine.lag },
            { committed: row.committed, end: row.end, lag: row.lag },
            `${groupId} ${row.topic}/${row.partition}: Vigil ${JSON.stringify(mine)} vs tool ${JSON.stringify(row)}`,
          );
        }
        // Vigil also lists partitions of consumed topics the tool leaves out (never committed, no member).
        for (const extra of vigil.filter((p) => !tool.some((r) => r.topic === p.topic && r.partition === p.partition))) {
          t.equal(extra.committed, null, `${groupId} ${extra.topic}/${extra.partition} only in Vigil: never committed`);
        }
      }
    });

    await t.test('a never-committed partition is reported as such, not as -1 or the whole log', async (t) => {
      const c = await collect(probe);
      const p2 = report(c, partial).partitions.find((p) => p.partition === 2);
      t.same(p2 && { committed: p2.committed, lag: p2.lag, end: p2.end }, { committed: null, lag: null, end: 10 });
      t.equal(sample(c, m.uncommitted, { cluster, group: partial }), 1);
      t.equal(sample(c, m.partitionLag, { cluster, group: partial, partition: '2' }), undefined, 'no lag series for it');
      t.equal(sample(c, m.lagSum, { cluster, group: partial }), 18, 'sum over committed partitions: 30−12 + 20−20');
      t.equal(sample(c, m.lagMax, { cluster, group: partial }), 18);
      t.equal(sample(c, m.topicLagSum, { cluster, group: partial, topic }), 18);
      t.match(
        check(c, 'kafka:consumer_lag', `${cluster}/${partial}`).output,
        /18 message\(s\) behind on 2 partition\(s\), max 18 on .*\/0; 1 partition\(s\) without a committed offset/,
      );
    });

    await t.test('an Empty group: state and zero members', async (t) => {
      const c = await collect(probe);
      t.equal(report(c, partial).state, 'Empty');
      t.equal(sample(c, m.groupMembers, { cluster, group: partial }), 0);
      t.equal(sample(c, m.groupState, { cluster, group: partial, state: 'Empty' }), 1);
      t.equal(report(c, live).state, 'Stable');
      t.equal(report(c, live).members, 1);
    });

    await t.test('one cycle: one ListOffsets per broker, one OffsetFetch per group, metadata from cache', async (t) => {
      const before = requestsSent(probe);
      await collect(probe);
      const after = requestsSent(probe);
      const delta = (api: string) => (after[api] ?? 0) - (before[api] ?? 0);
      t.equal(delta('ListOffsets'), 1, 'ListOffsets');
      t.equal(delta('OffsetFetch'), 2, 'OffsetFetch (2 groups)');
      t.equal(delta('DescribeGroups'), 1, 'DescribeGroups');
      t.equal(delta('ListGroups'), 1, 'ListGroups');
      t.equal(delta('Metadata'), 0, 'Metadata');
      t.equal(delta('GroupCoordinator') + delta('FindCoordinator'), 0, 'no coordinator lookups once known');
    });

    await t.test('STOP (no member, offset not moving) and STALL (live member, offset not moving)', async (t) => {
      let c = await collect(probe);
      for (let i = 0; i < 3; i++) c = await collect(probe);
      t.equal(check(c, 'kafka:consumer_status', `${cluster}/${partial}`).observedValue, 'STOP');
      t.equal(check(c, 'kafka:consumer_status', `${cluster}/${partial}`).status, 'fail');
      t.equal(sample(c, m.groupStatus, { cluster, group: partial }), 4);
      const stall = check(c, 'kafka:consumer_status', `${cluster}/${live}`);
      t.equal(stall.observedValue, 'STALL', String(stall.output));
      t.match(stall.output, /consumer alive/);
      t.equal(sample(c, m.groupStatus, { cluster, group: live }), 3);
    });

    await t.test('REWIND when the committed offset goes back', async (t) => {
      await setOffsets(broker, partial, topic, { 0: 2 });
      const c = await collect(probe);
      t.equal(check(c, 'kafka:consumer_status', `${cluster}/${partial}`).observedValue, 'REWIND');
      t.match(check(c, 'kafka:consumer_status', `${cluster}/${partial}`).output, /offset went back from 12 to 2/);
      t.equal(sample(c, m.groupStatus, { cluster, group: partial }), 2);
    });

    await t.test('lag in seconds: zero when caught up, the age of the oldest unconsumed message otherwise', async (t) => {
      const fresh = `${prefix}-fresh`;
      await setOffsets(broker, fresh, topic, { 0: 30, 1: 20, 2: 10 });
      let c = await collect(probe);
      t.equal(sample(c, m.lagSeconds, { cluster, group: fresh }), 0);
      const produced = Date.now();
      await produce(broker, topic, [5, 0, 0]);
      c = await collect(probe);
      const early = sample(c, m.lagSeconds, { cluster, group: fresh }) ?? NaN;
      t.equal(sample(c, m.lagSecondsLowerBound, { cluster, group: fresh }), 0, 'the history brackets the burst: an estimate, not a bound');
      t.ok(early >= 0 && early <= (Date.now() - produced) / 1000 + 15, `lag ${early}s bounded by the time since the last caught-up sample`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      c = await collect(probe);
      const later = sample(c, m.lagSeconds, { cluster, group: fresh }) ?? NaN;
      t.ok(later >= early + 1.9, `the unconsumed message ages: ${early}s then ${later}s`);
      t.match(check(c, 'kafka:consumer_lag_seconds', `${cluster}/${fresh}`).output, /s behind/);
    });

    await t.test('per_partition_metrics: false keeps group-level series only', async (t) => {
      const small = probeFor(t, broker, { groupsInclude: `^${prefix}`, perPartitionMetrics: false });
      const c = await collect(small);
      t.equal(sample(c, m.lagSum, { cluster, group: live }), sample(await collect(probe), m.lagSum, { cluster, group: live }));
      t.notOk(
        c.samples.some((s) => [m.partitionLag, m.partitionCommitted, m.partitionEnd].includes(s.metric)),
        'no per-partition series',
      );
    });

    await t.test('per_partition_metrics unset: per-partition series off above PER_PARTITION_AUTO_MAX group partitions', async (t) => {
      const bigTopic = unique('vigil-big');
      const bigGroup = unique('vigil-big-group');
      await createTopic(admin, bigTopic, PER_PARTITION_AUTO_MAX + 1);
      await setOffsets(broker, bigGroup, bigTopic, { 0: 0 });
      const auto = probeFor(t, broker, { groupsInclude: `^${bigGroup}$` });
      // Leaders of 501 new partitions may still be moving ("not the leader"): a few runs' grace.
      let c: Collection | undefined;
      await waitFor(async () => (c = await collect(auto).catch(() => undefined)) !== undefined, 20_000, 500);
      c = c as Collection;
      t.not(sample(c, m.lagSum, { cluster, group: bigGroup }), undefined, 'group-level series kept');
      const perPartition = c.samples.filter((s) => [m.partitionLag, m.partitionCommitted, m.partitionEnd].includes(s.metric)).length;
      t.equal(perPartition, 0, `no per-partition series for ${PER_PARTITION_AUTO_MAX + 1} group partitions`);
      const forced = probeFor(t, broker, { groupsInclude: `^${bigGroup}$`, perPartitionMetrics: true });
      t.ok(
        (await collect(forced)).samples.filter((s) => s.metric === m.partitionEnd).length > PER_PARTITION_AUTO_MAX,
        'per_partition_metrics: true keeps them',
      );
    });

    await t.test("a deleted group's series disappear", async (t) => {
      const store = new MetricStore();
      for (const decl of probe.metrics) store.register(decl);
      store.publish(probe.name, probe.metrics, (await collect(probe)).samples);
      t.not(store.value(m.lagSum, { cluster, group: partial }), undefined);
      t.not(store.value(m.partitionCommitted, { cluster, group: partial, topic, partition: '0' }), undefined);
      await admin.deleteGroups([partial]);
      const c = await collect(probe);
      store.publish(probe.name, probe.metrics, c.samples);
      t.equal(store.value(m.lagSum, { cluster, group: partial }), undefined);
      t.equal(store.value(m.partitionCommitted, { cluster, group: partial, topic, partition: '0' }), undefined);
      t.notOk(
        c.checks.some((o) => o.componentId === `${cluster}/${partial}`),
        'no checks for it',
      );
      t.not(store.value(m.lagSum, { cluster, group: live }), undefined, 'other groups stay');
    });

    if (broker.major >= 4) {
      await t.test('a KIP-848 (consumer protocol) group is reported as not supported, never healthy', async (t) => {
        const modern = `${prefix}-kip848`;
        const java = broker.spawnConsoleConsumer([
          '--topic',
          topic,
          '--group',
          modern,
          '--from-beginning',
          '--consumer-property',
          'group.protocol=consumer',
          '--consumer-property',
          'auto.commit.interval.ms=500',
        ]);
        t.teardown(() => {
          if (java.pid !== undefined) process.kill(-java.pid, 'SIGKILL');
        });
        await waitFor(
          async () => {
            const offsets = await admin.fetchOffsets({ groupId: modern }).catch(() => []);
            return offsets.some((o) => o.partitions.some((p) => Number(p.offset) > 0));
          },
          60_000,
          500,
        );
        const c = await collect(probe);
        const status = check(c, 'kafka:consumer_status', `${cluster}/${modern}`);
        t.equal(status.status, 'warn');
        t.equal(status.observedValue, 'unknown');
        t.match(status.output, /group protocol not supported/);
        t.equal(sample(c, m.groupStatus, { cluster, group: modern }), -1);
        t.ok(
          report(c, modern).partitions.some((p) => p.committed !== null),
          'its committed offsets are still read',
        );
      });
    }
  });
}
