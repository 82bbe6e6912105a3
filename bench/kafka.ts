// Kafka suite: what one probe cycle costs as the cluster grows (groups, partitions), against a
// baseline measured in the same run on the same broker: kafkajs's public admin API used the way
// most exporters use it (listGroups, describeGroups, fetchOffsets per group, fetchTopicOffsets
// per topic), and Kafka's own `kafka-consumer-groups --describe --all-groups`.
//
// Environment: BENCH_KAFKA_VERSION (default: the newest tested version), BENCH_KAFKA_STEPS
// (default "10x100,50x500,100x2000": groups × partitions), BENCH_KAFKA_CYCLES (default 5).
// The scale points of issue 16 run as their own invocations (one broker each):
// BENCH_KAFKA_STEPS=2000x10 (many groups) and BENCH_KAFKA_STEPS=100x20000 (many partitions).
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaVersions, startBroker, type KafkaBroker } from '../scripts/kafka.ts';
import { createTopic, probeFor, produce, requestsSent, setOffsets } from '../test/kafka/broker.ts';
import * as m from '../src/probes/kafka/metadata.ts';
import { mib, round, type BenchContext, type Suite, type SuiteReport } from './lib.ts';

/** Topics have 50 partitions, or fewer when the first step has fewer in all. */
const PARTITIONS_PER_TOPIC = 50;

interface Step {
  readonly groups: number;
  readonly partitions: number;
}

function stepsFromEnv(env: NodeJS.ProcessEnv): Step[] {
  const raw = env.BENCH_KAFKA_STEPS?.trim() || '10x100,50x500,100x2000';
  return raw.split(',').map((item) => {
    const m = /^(\d+)x(\d+)$/.exec(item.trim());
    if (!m) throw new Error(`BENCH_KAFKA_STEPS: ${item} is not <groups>x<partitions>`);
    return { groups: Number(m[1]), partitions: Number(m[2]) };
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const total = (requests: Readonly<Record<string, number>>): number => Object.values(requests).reduce((a, b) => a + b, 0);

function diff(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>, cycles: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [api, n] of Object.entries(after)) {
    const d = (n - (before[api] ?? 0)) / cycles;
    if (d > 0) out[api] = round(d, 1);
  }
  return out;
}

/** The cluster grows to `step`: topics of 50 partitions, each group committed on one topic (lag 1 everywhere). */
async function grow(broker: KafkaBroker, admin: Admin, prefix: string, step: Step, have: { topics: number; groups: number; perTopic: number }): Promise<void> {
  if (have.perTopic === 0) have.perTopic = Math.min(PARTITIONS_PER_TOPIC, step.partitions);
  const perTopic = have.perTopic;
  const topics = Math.max(1, Math.round(step.partitions / perTopic));
  for (let i = have.topics; i < topics; i++) {
    await createTopic(admin, `${prefix}-t${i}`, perTopic);
    await produce(
      broker,
      `${prefix}-t${i}`,
      Array.from({ length: perTopic }, () => 2),
    );
  }
  const offsets = Object.fromEntries(Array.from({ length: perTopic }, (_, p) => [p, 1]));
  const work: Promise<void>[] = [];
  for (let g = 0; g < step.groups; g++) {
    // Existing groups move to the new topics too, so every topic is consumed.
    if (g < have.groups && topics === have.topics) continue;
    work.push(setOffsets(broker, `${prefix}-g${g}`, `${prefix}-t${g % topics}`, offsets));
    if (work.length >= 10) await Promise.all(work.splice(0));
  }
  await Promise.all(work);
  have.topics = topics;
  have.groups = step.groups;
}

/** One naive cycle with kafkajs's public admin API; returns its duration. */
async function naiveCycle(admin: Admin, prefix: string): Promise<number> {
  const t0 = performance.now();
  const { groups } = await admin.listGroups();
  const ids = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
  await admin.describeGroups(ids);
  const topics = new Set<string>();
  for (const id of ids) for (const { topic } of await admin.fetchOffsets({ groupId: id })) topics.add(topic);
  for (const topic of topics) await admin.fetchTopicOffsets(topic);
  return performance.now() - t0;
}

export const kafkaSuite: Suite = {
  name: 'kafka',
  description: 'Kafka probe cycle time, requests and RSS for growing clusters vs the kafkajs admin API and kafka-consumer-groups',
  async run(ctx: BenchContext): Promise<SuiteReport> {
    const version = process.env.BENCH_KAFKA_VERSION?.trim() || (kafkaVersions().at(-1) as string);
    const cycles = Number(process.env.BENCH_KAFKA_CYCLES ?? 5);
    const steps = stepsFromEnv(process.env);
    ctx.log(`kafka: starting Kafka ${version}`);
    const broker = await startBroker({ version, heap: '1g' });
    const teardowns: (() => unknown)[] = [];
    const t = { teardown: (fn: () => unknown) => teardowns.push(fn) };
    const kafka = new Kafka({ clientId: 'vigil-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const admin = kafka.admin();
    const naiveRequests: Record<string, number> = {};
    admin.on(admin.events.REQUEST, (e) => {
      const api = (e.payload as { apiName: string }).apiName;
      naiveRequests[api] = (naiveRequests[api] ?? 0) + 1;
    });
    const prefix = 'bench';
    const have = { topics: 0, groups: 0, perTopic: 0 };
    const rows: (string | number | null)[][] = [];
    const data: Record<string, unknown>[] = [];
    try {
      await admin.connect();
      for (const step of steps) {
        ctx.log(`kafka: growing to ${step.groups} groups, ${step.partitions} partitions`);
        await grow(broker, admin, prefix, step, have);

        const probe = probeFor(t, broker, { groupsInclude: `^${prefix}-`, timeout: '60s' });
        const signal = () => AbortSignal.timeout(120_000);
        for (let i = 0; i < 2; i++) await probe.collect(signal()); // connect, metadata, coordinators
        const before = requestsSent(probe);
        const times: number[] = [];
        let reported = 0;
        for (let i = 0; i < cycles; i++) {
          const t0 = performance.now();
          const out = await probe.collect(signal());
          times.push(performance.now() - t0);
          if (out.errors.length > 0) throw new Error(`probe errors: ${out.errors.map((e) => e.message).join('; ')}`);
          reported = out.samples.find((s) => s.metric.name === m.groupsWatched.name)?.value ?? 0;
        }
        const vigil = diff(requestsSent(probe), before, cycles);
        if (reported !== step.groups) throw new Error(`probe saw ${reported} groups, expected ${step.groups}`);
        const rss = process.memoryUsage().rss;
        await probe.stop();

        await naiveCycle(admin, prefix); // warm: metadata and connections
        const naiveBefore = { ...naiveRequests };
        const naiveTimes: number[] = [];
        for (let i = 0; i < Math.min(cycles, 3); i++) naiveTimes.push(await naiveCycle(admin, prefix));
        const naive = diff(naiveRequests, naiveBefore, naiveTimes.length);

        const tool0 = performance.now();
        const tool = await broker.consumerGroups(['--describe', '--all-groups']);
        const toolMs = performance.now() - tool0;
        if (tool.code !== 0) throw new Error(`kafka-consumer-groups failed: ${tool.stderr}`);

        const vigilMs = median(times);
        const naiveMs = median(naiveTimes);
        rows.push([
          step.groups,
          step.partitions,
          round(vigilMs, 1),
          total(vigil),
          round(naiveMs, 1),
          total(naive),
          round(total(naive) / total(vigil), 1),
          round(naiveMs / vigilMs, 1),
          round(toolMs / 1000, 1),
          mib(rss),
        ]);
        data.push({ ...step, vigilMs, vigilRequests: vigil, naiveMs, naiveRequests: naive, toolMs, rssBytes: rss });
      }
    } finally {
      for (const fn of teardowns.reverse()) await fn();
      await admin.disconnect().catch(() => {});
      await broker.destroy();
    }
    const first = data[0] as { vigilRequests: Record<string, number> } | undefined;
    return {
      tables: [
        {
          title: `Kafka ${version}, one broker: one probe cycle (median of ${cycles}) as the cluster grows`,
          columns: [
            'groups',
            'partitions',
            'Vigil ms',
            'Vigil requests',
            'naive ms',
            'naive requests',
            'requests ×',
            'time ×',
            'kafka-consumer-groups s',
            'bench RSS MiB',
          ],
          rows,
          notes: [
            'Vigil: ListGroups once per broker, ListOffsets twice per leader (log end, log start), DescribeGroups and OffsetFetch once per coordinator, Metadata from cache',
            'naive: kafkajs admin listGroups, describeGroups, fetchOffsets per group, fetchTopicOffsets per topic (2 ListOffsets per topic)',
            "kafka-consumer-groups: --describe --all-groups from the broker's jars, JVM start included",
            `Vigil requests per cycle by API at the first step: ${JSON.stringify(first?.vigilRequests ?? {})}`,
          ],
        },
      ],
      data: { version, steps: data },
    };
  },
};
