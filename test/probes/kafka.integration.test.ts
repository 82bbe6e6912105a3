// The Kafka probe against a real broker of every tested version (VIGIL_KAFKA_VERSIONS, default
// 3.9.1 and 4.1.1): lag equal to kafka-consumer-groups --describe from the same jars, never
// committed partitions, Empty / deleted groups, STOP, STALL, REWIND, lag in seconds, requests
// per cycle, messages lost beyond retention, and KIP-848 groups on 4.x.
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
  clientOf,
  createTopic,
  deleteRecords,
  describeWithTool,
  kafkaVersions,
  membersWithTool,
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

    await t.test('one cycle: one ListOffsets per broker and log end, one OffsetFetch per coordinator, metadata from cache', async (t) => {
      const before = requestsSent(probe);
      await collect(probe);
      const after = requestsSent(probe);
      const delta = (api: string) => (after[api] ?? 0) - (before[api] ?? 0);
      t.equal(delta('ListOffsets'), 2, 'ListOffsets (log end and log start)');
      t.equal(delta('OffsetFetch'), 1, 'OffsetFetch (2 groups, one coordinator)');
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
      // Partitions whose leader is still moving are left out of a run (unavailable), not fatal.
      let published = 0;
      await waitFor(
        async () => (published = (await collect(forced)).samples.filter((s) => s.metric === m.partitionEnd).length) > PER_PARTITION_AUTO_MAX,
        20_000,
        500,
      ).catch(() => {});
      t.ok(published > PER_PARTITION_AUTO_MAX, `per_partition_metrics: true keeps them (${published})`);
    });

    await t.test('data loss: a committed offset below the log start counts the deleted messages; a caught-up group none', async (t) => {
      const retained = `${prefix}-retained`;
      const lossy = `${prefix}-lossy`;
      const caughtUp = `${prefix}-caughtup`;
      await createTopic(admin, retained, 2);
      await produce(broker, retained, [20, 20]);
      await setOffsets(broker, lossy, retained, { 0: 5, 1: 20 });
      await setOffsets(broker, caughtUp, retained, { 0: 20, 1: 20 });
      let c = await collect(probe);
      t.equal(check(c, 'kafka:consumer_data_loss', `${cluster}/${lossy}`).status, 'pass', 'nothing deleted yet');
      await deleteRecords(broker, retained, 0, 14);
      c = await collect(probe);
      const loss = check(c, 'kafka:consumer_data_loss', `${cluster}/${lossy}`);
      t.equal(loss.status, 'fail');
      t.equal(loss.severity ?? loss.check.failSeverity, 'SEV2');
      t.equal(loss.observedValue, 9, '14 − 5 messages deleted before being consumed');
      t.match(loss.output, new RegExp(`^9 message\\(s\\) deleted before being consumed on 1 partition\\(s\\): ${retained}/0 committed 5 < log start 14`));
      t.equal(sample(c, m.lostMessages, { cluster, group: lossy }), 9);
      t.equal(check(c, 'kafka:consumer_data_loss', `${cluster}/${caughtUp}`).status, 'pass');
      t.equal(sample(c, m.lostMessages, { cluster, group: caughtUp }), 0);
      // Lag stays log end − committed, as kafka-consumer-groups computes it.
      const tool = await describeWithTool(broker, lossy);
      const p0 = report(c, lossy).partitions.find((p) => p.topic === retained && p.partition === 0);
      t.same(p0 && { committed: p0.committed, end: p0.end, lag: p0.lag }, { committed: 5, end: 20, lag: 15 });
      t.same(
        tool.find((r) => r.partition === 0),
        { topic: retained, partition: 0, committed: 5, end: 20, lag: 15 },
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
      await t.test('a KIP-848 (consumer protocol) group: state, members, assignment as the tool says; STALL then STOP', async (t) => {
        const modern = `${prefix}-kip848`;
        // Offsets first (a simple classic group, which the first consumer-protocol member replaces
        // keeping its offsets), then a Java consumer that reads but never commits: lag stays > 0.
        await setOffsets(broker, modern, topic, { 0: 5, 1: 5, 2: 5 });
        const java = broker.spawnConsoleConsumer([
          '--topic',
          topic,
          '--group',
          modern,
          '--consumer-property',
          'group.protocol=consumer',
          '--consumer-property',
          'enable.auto.commit=false',
        ]);
        let stopped = false;
        t.teardown(() => {
          if (!stopped && java.pid !== undefined) process.kill(-java.pid, 'SIGKILL');
        });
        let c: Collection = await collect(probe);
        await waitFor(
          async () => {
            c = await collect(probe);
            return report(c, modern).state === 'Stable' && report(c, modern).members === 1;
          },
          90_000,
          500,
        );
        const listing = (await clientOf(probe).listGroups(AbortSignal.timeout(10_000))).groups.find((g) => g.groupId === modern);
        t.same(listing && { protocolType: listing.protocolType, groupType: listing.groupType }, { protocolType: 'consumer', groupType: 'consumer' });
        t.equal(sample(c, m.groupMembers, { cluster, group: modern }), 1, 'vigil_kafka_consumergroup_members for it');
        t.equal(sample(c, m.groupState, { cluster, group: modern, state: 'Stable' }), 1);

        const tool = await membersWithTool(broker, modern);
        const described = (await clientOf(probe).describeGroups(listing ? [listing] : [], AbortSignal.timeout(10_000))).get(modern);
        if (!described || described instanceof Error) throw new Error(`not described: ${String(described)}`);
        t.equal(described.state, tool.state, `state ${described.state} vs the tool's ${tool.state}`);
        t.same(
          described.members
            .map((mb) => ({
              memberId: mb.memberId,
              clientId: mb.clientId,
              assignment: [...(mb.assignment ?? [])]
                .map(([topic, ps]): [string, number[]] => [topic, [...ps].sort((x, y) => x - y)])
                .sort((x, y) => x[0].localeCompare(y[0])),
            }))
            .sort((x, y) => x.memberId.localeCompare(y.memberId)),
          tool.members,
          `members and assignment vs kafka-consumer-groups --describe --members --verbose:\n${tool.text}`,
        );

        for (let i = 0; i < 3; i++) c = await collect(probe);
        const stall = check(c, 'kafka:consumer_status', `${cluster}/${modern}`);
        t.equal(stall.observedValue, 'STALL', String(stall.output));
        t.match(stall.output, /consumer alive.*\(Stable, 1 member\(s\)\)/);
        t.equal(sample(c, m.groupStatus, { cluster, group: modern }), 3);

        // SIGTERM: the console consumer closes and leaves the group (no commit, auto-commit is off).
        process.kill(-(java.pid as number), 'SIGTERM');
        stopped = true;
        await waitFor(
          async () => {
            c = await collect(probe);
            return report(c, modern).members === 0;
          },
          60_000,
          500,
        );
        t.equal(report(c, modern).state, 'Empty');
        for (let i = 0; i < 3; i++) c = await collect(probe);
        const stop = check(c, 'kafka:consumer_status', `${cluster}/${modern}`);
        t.equal(stop.observedValue, 'STOP', String(stop.output));
        t.equal(sample(c, m.groupStatus, { cluster, group: modern }), 4);
        t.same(
          report(c, modern).partitions.map((p) => p.committed),
          [5, 5, 5],
          'its committed offsets are read',
        );
      });
    }
  });
}
