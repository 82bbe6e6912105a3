// Test side of the Kafka harness (scripts/kafka.ts): one broker per test file and version,
// a kafkajs admin/producer for setting scenes (tests may write; the probe never does), and
// probes built the way the agent builds them.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { pino } from 'pino';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import { KafkaProbe, kafkaClientFor } from '../../src/probes/kafka/probe.ts';
import type { WireAdminClient } from '../../src/probes/kafka/wire-client.ts';
import * as m from '../../src/probes/kafka/metadata.ts';
import type { Collection } from '../../src/probes/types.ts';
import type { KafkaOptions } from '../../src/probes/kafka/config.ts';
import type { ProbeSettings } from '../../src/probes/kind.ts';
import { kafkaVersions, startBroker, type KafkaBroker } from '../../scripts/kafka.ts';
import { kafkaConfig } from '../../src/probes/kafka/config.ts';

export { kafkaVersions, type KafkaBroker };

// kafkajs internals for the one write the public API makes slow (see setOffsets).
const require = createRequire(import.meta.url);
const Cluster = require('kafkajs/src/cluster/index.js') as new (
  options: Record<string, unknown>,
) => {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<{ offsetCommit(args: Record<string, unknown>): Promise<unknown> }>;
  findGroupCoordinatorMetadata(args: { groupId: string; coordinatorType: number }): Promise<{ coordinator: { nodeId: number } }>;
};
const socketFactory = require('kafkajs/src/network/socketFactory.js') as () => unknown;
const { createLogger: createKafkajsLogger, LEVELS } = require('kafkajs/src/loggers/index.js') as {
  createLogger(args: { level: number; logCreator: () => () => void }): unknown;
  LEVELS: { NOTHING: number };
};

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Starts a broker for the calling test (file), stopped and removed at its teardown. */
export async function brokerFor(t: Teardown, version: string): Promise<KafkaBroker> {
  const broker = await startBroker({ version });
  t.teardown(() => broker.destroy());
  return broker;
}

export function kafkaFor(broker: KafkaBroker): Kafka {
  return new Kafka({ clientId: 'vigil-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}

export async function adminFor(t: Teardown, broker: KafkaBroker): Promise<Admin> {
  const admin = kafkaFor(broker).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return admin;
}

/** A unique name per test run, so files and versions never collide. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

/** Appends `counts[p]` messages to partition p. */
export async function produce(broker: KafkaBroker, topic: string, counts: readonly number[]): Promise<void> {
  const producer = kafkaFor(broker).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `m${partition}-${i}` }))),
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Commits offsets for a group without members, as `kafka-consumer-groups --reset-offsets` does:
 * one OffsetCommit (generation -1) to the group's coordinator. kafkajs's admin.setOffsets joins
 * the group with a consumer and waits for a fetch (≈ 5 s a call), too slow for 100 groups.
 */
export async function setOffsets(broker: KafkaBroker, groupId: string, topic: string, offsets: Readonly<Record<number, number>>): Promise<void> {
  await withCluster(broker, async (cluster) => {
    // A fresh broker answers COORDINATOR_LOAD_IN_PROGRESS (retriable) while it loads __consumer_offsets.
    for (let attempt = 1; ; attempt++) {
      try {
        const coordinator = await cluster.findGroupCoordinator({ groupId });
        await coordinator.offsetCommit({
          groupId,
          groupGenerationId: -1,
          memberId: '',
          retentionTime: -1,
          topics: [{ topic, partitions: Object.entries(offsets).map(([p, o]) => ({ partition: Number(p), offset: String(o) })) }],
        });
        return;
      } catch (err) {
        if (!(err as { retriable?: boolean }).retriable || attempt >= 60) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  });
}

/** The broker coordinating `groupId` (FindCoordinator; the group need not exist). */
export function coordinatorOf(broker: KafkaBroker, groupId: string): Promise<number> {
  return withCluster(broker, async (cluster) => (await cluster.findGroupCoordinatorMetadata({ groupId, coordinatorType: 0 })).coordinator.nodeId);
}

async function withCluster<T>(broker: KafkaBroker, work: (cluster: InstanceType<typeof Cluster>) => Promise<T>): Promise<T> {
  const cluster = new Cluster({
    logger: createKafkajsLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    brokers: [broker.bootstrap],
    clientId: 'vigil-test',
    socketFactory: socketFactory(),
    retry: { retries: 5 },
    requestTimeout: 30_000,
    connectionTimeout: 5000,
  });
  try {
    await cluster.connect();
    await cluster.refreshMetadata();
    return await work(cluster);
  } finally {
    await cluster.disconnect();
  }
}

/**
 * A real kafkajs consumer in `groupId` that reads every message but commits only what the test
 * says (autoCommit off). Resolves once it has joined and been assigned `topic`.
 */
export async function startConsumer(t: Teardown, broker: KafkaBroker, groupId: string, topic: string): Promise<Consumer> {
  const consumer = kafkaFor(broker).consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 1000, allowAutoTopicCreation: false });
  let joined!: () => void;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  await ready;
  return consumer;
}

export interface ProbeOptions {
  readonly groupsInclude?: string;
  readonly statusWindow?: number;
  readonly timeout?: string;
  readonly perPartitionMetrics?: boolean;
  /** Bootstrap brokers other than the broker's PLAINTEXT listener (e.g. its SASL listener). */
  readonly brokers?: readonly string[];
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
  /** The target's `tls:` value. */
  readonly tls?: boolean | Readonly<Record<string, string | boolean>>;
}

/** The probe as the agent would build it from `probes.kafka.targets[0]`. */
export function probeFor(t: Teardown, broker: KafkaBroker, options: ProbeOptions = {}): KafkaProbe {
  const section = kafkaConfig.schema.parse({
    targets: [
      {
        name: `kafka-${broker.version}`,
        brokers: options.brokers ?? [broker.bootstrap],
        ...(options.sasl ? { sasl: options.sasl } : {}),
        ...(options.tls !== undefined ? { tls: options.tls } : {}),
        timeout: options.timeout ?? '10s',
        interval: '15s',
        status_window: options.statusWindow ?? 3,
        ...(options.groupsInclude !== undefined ? { groups_include: options.groupsInclude } : {}),
        ...(options.perPartitionMetrics !== undefined ? { per_partition_metrics: options.perPartitionMetrics } : {}),
      },
    ],
  });
  const problems: string[] = [];
  const [settings] = kafkaConfig.resolve({ section, defaults: BUILTIN_SCHEDULE, env: {} }, (path, message) => problems.push(`${path}: ${message}`));
  if (!settings || problems.length > 0) throw new Error(`bad probe config: ${problems.join('; ')}`);
  const logger = pino({ enabled: false });
  const client = kafkaClientFor(settings as ProbeSettings<KafkaOptions>, logger);
  const probe = new KafkaProbe(settings as ProbeSettings<KafkaOptions>, { logger, host: { proc: '/proc', sys: '/sys', rootfs: '/' } }, { client });
  clients.set(probe, client);
  t.teardown(() => probe.stop());
  return probe;
}

const clients = new WeakMap<KafkaProbe, WireAdminClient>();

/** The client of a probe built by probeFor. */
export function clientOf(probe: KafkaProbe): WireAdminClient {
  const client = clients.get(probe);
  if (!client) throw new Error('not a probe built by probeFor');
  return client;
}

/** Requests a probe built by probeFor has sent so far, by Kafka API name. */
export function requestsSent(probe: KafkaProbe): Readonly<Record<string, number>> {
  return clientOf(probe).requestsSent();
}

/** One partition of a group as a run published it (per-partition series on). */
export interface PublishedPartition {
  readonly topic: string;
  readonly partition: number;
  /** null: never committed (no current-offset series). */
  readonly committed: number | null;
  readonly end: number;
  /** null when not committed (no lag series). */
  readonly lag: number | null;
}

export interface PublishedGroup {
  readonly state: string;
  readonly members: number | null;
  /** Every partition of the topics the group committed on, with the log end the run read. */
  readonly partitions: readonly PublishedPartition[];
}

/** A group as one run's samples describe it; throws when the run did not report the group. */
export function publishedGroup(collection: Collection, groupId: string): PublishedGroup {
  const of = (metric: { name: string }) => collection.samples.filter((s) => s.metric.name === metric.name);
  const mine = (metric: { name: string }) => of(metric).filter((s) => s.labels.group === groupId);
  const state = mine(m.groupState).find((s) => s.value === 1);
  if (!state) throw new Error(`group ${groupId} not reported; got ${[...new Set(of(m.groupState).map((s) => s.labels.group))].join(', ')}`);
  const cluster = state.labels.cluster;
  const key = (s: { labels: Readonly<Record<string, string>> }) => `${s.labels.topic}/${s.labels.partition}`;
  const committed = new Map(mine(m.partitionCommitted).map((s) => [key(s), s.value]));
  const lag = new Map(mine(m.partitionLag).map((s) => [key(s), s.value]));
  const topics = new Set([...mine(m.topicLagSum), ...mine(m.partitionCommitted)].map((s) => s.labels.topic));
  const partitions = of(m.partitionEnd)
    .filter((s) => s.labels.cluster === cluster && topics.has(s.labels.topic ?? ''))
    .map((s) => ({
      topic: s.labels.topic ?? '',
      partition: Number(s.labels.partition),
      committed: committed.get(key(s)) ?? null,
      end: s.value,
      lag: lag.get(key(s)) ?? null,
    }));
  return { state: state.labels.state ?? '', members: mine(m.groupMembers)[0]?.value ?? null, partitions };
}

export interface ToolRow {
  readonly topic: string;
  readonly partition: number;
  /** null where the tool prints `-`. */
  readonly committed: number | null;
  readonly end: number;
  readonly lag: number | null;
}

/** `kafka-consumer-groups --describe --group <g>` from the broker's own jars, parsed. */
export async function describeWithTool(broker: KafkaBroker, groupId: string): Promise<ToolRow[]> {
  const result = await broker.consumerGroups(['--describe', '--group', groupId]);
  if (result.code !== 0) throw new Error(`kafka-consumer-groups exited ${result.code}: ${result.stderr}`);
  const rows: ToolRow[] = [];
  for (const line of result.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] !== groupId || cols.length < 6 || cols[2] === 'PARTITION') continue;
    const num = (text: string | undefined) => (text === undefined || text === '-' ? null : Number(text));
    rows.push({ topic: cols[1] as string, partition: Number(cols[2]), committed: num(cols[3]), end: Number(cols[4]), lag: num(cols[5]) });
  }
  return rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** `kafka-delete-records`: moves the log start of `topic`/`partition` to `offset`, as retention would. */
export async function deleteRecords(broker: KafkaBroker, topic: string, partition: number, offset: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-delete-records-'));
  try {
    const file = join(dir, 'offsets.json');
    writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic, partition, offset }] }));
    const result = await broker.runTool('org.apache.kafka.tools.DeleteRecordsCommand', ['--bootstrap-server', broker.bootstrap, '--offset-json-file', file]);
    if (result.code !== 0) throw new Error(`kafka-delete-records exited ${result.code}: ${result.stderr}${result.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ToolMembers {
  readonly state: string;
  /** Sorted by member id; assignment as [topic, partitions] sorted by topic. */
  readonly members: { memberId: string; clientId: string; assignment: [string, number[]][] }[];
  /** The tool's output, for failure messages. */
  readonly text: string;
}

/**
 * `kafka-consumer-groups --describe --members --verbose` and `--describe --state`, parsed by
 * their header columns (the verbose layout differs between classic and consumer-protocol groups).
 */
export async function membersWithTool(broker: KafkaBroker, groupId: string): Promise<ToolMembers> {
  const run = async (args: string[]) => {
    const result = await broker.consumerGroups(['--describe', '--group', groupId, ...args]);
    if (result.code !== 0) throw new Error(`kafka-consumer-groups exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  const table = (text: string) => {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const at = lines.findIndex((l) => l.trim().startsWith('GROUP'));
    const header = (lines[at] ?? '').trim().split(/\s+/);
    return lines.slice(at + 1).map((l) => {
      const cols = l.trim().split(/\s+/);
      return (name: string) => cols[header.indexOf(name)] ?? '';
    });
  };
  const stateText = await run(['--state']);
  const state = table(stateText)[0]?.('STATE') ?? '';
  const membersText = await run(['--members', '--verbose']);
  const members = table(membersText).map((row) => {
    // `topic(0,1,2)` (classic) or `topic:0,1,2` (consumer protocol); `-` when nothing is assigned.
    const text = row('CURRENT-ASSIGNMENT') || row('ASSIGNMENT');
    const assignment: [string, number[]][] = [];
    for (const match of text.matchAll(/([^\s(:,]+)[(:]([\d,]+)\)?/g))
      assignment.push([
        match[1] as string,
        (match[2] as string)
          .split(',')
          .map(Number)
          .sort((x, y) => x - y),
      ]);
    return { memberId: row('CONSUMER-ID'), clientId: row('CLIENT-ID'), assignment: assignment.sort((a, b) => a[0].localeCompare(b[0])) };
  });
  return { state, members: members.sort((a, b) => a.memberId.localeCompare(b.memberId)), text: `${stateText}\n${membersText}` };
}

/**
 * TCP connections of process `pid` to 127.0.0.1:`port` in state ESTABLISHED: the socket inodes
 * of its /proc/<pid>/fd matched against /proc/net/tcp{,6} (what `ss -tnp` does).
 */
export function establishedSockets(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match) inodes.add(match[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address rem_address st … inode (10th column)
      if (cols.length < 10) continue;
      if (cols[2]?.endsWith(`:${portHex}`) && cols[3] === '01' && inodes.has(cols[9] as string)) count++;
    }
  }
  return count;
}
