// The kafkajs implementation of `KafkaAdminClient`. It drives kafkajs's Cluster and Broker objects
// directly (internal modules, typed and patched in kafkajs-patches.ts) because its public admin
// API costs more requests than the probe can afford on big clusters: fetchTopicOffsets sends two
// ListOffsets per topic, listGroups refreshes metadata each time, describeGroups and fetchOffsets
// look the coordinator up again for every group. Here a cycle sends: ListGroups and ListOffsets
// once per broker, DescribeGroups once per coordinator, OffsetFetch once per group, Metadata only
// when the cache is older than `metadataMaxAgeMs` or after an error, FindCoordinator only for a
// group not seen before (or after NOT_COORDINATOR). Never a write: no commit, no offset reset.
import { createRequire } from 'node:module';
import type { Logger } from '../../log/logger.ts';
import { abortable, raceDeadline } from '../../deadline.ts';
import { traced } from '../../telemetry/spans.ts';
import type {
  BrokerFailure,
  ClusterMetadata,
  CommittedOffset,
  EndOffsets,
  GroupDescription,
  GroupList,
  GroupListing,
  KafkaAdminClient,
  PartitionInfo,
} from './admin-client.ts';
import { readConnectionSecrets, type KafkaConnection } from './config.ts';
import { patchNegativeTimeout, tolerateOfflinePartitions, type KjsCluster, type KjsLogEntry, type KjsMetadata } from './kafkajs-patches.ts';

const require = createRequire(import.meta.url);

/**
 * kafkajs's internals, loaded on first use: an agent without Kafka targets does not carry the
 * library (about 140 modules).
 */
function kafkajs() {
  loaded ??= loadKafkajs();
  return loaded;
}
let loaded: ReturnType<typeof loadKafkajs> | undefined;

function loadKafkajs() {
  patchNegativeTimeout();
  return {
    Cluster: require('kafkajs/src/cluster/index.js') as new (options: Record<string, unknown>) => KjsCluster,
    InstrumentationEventEmitter: require('kafkajs/src/instrumentation/emitter.js') as new () => {
      addListener(event: string, listener: (event: { payload: { apiName: string } }) => void): () => void;
    },
    ...(require('kafkajs/src/loggers/index.js') as {
      createLogger(args: { level: number; logCreator: (level: number) => (entry: KjsLogEntry) => void }): unknown;
      LEVELS: { NOTHING: number; ERROR: number; WARN: number; INFO: number; DEBUG: number };
    }),
    MemberAssignment: (
      require('kafkajs') as { AssignerProtocol: { MemberAssignment: { decode(buffer: Buffer): { assignment: Record<string, number[]> } | null } } }
    ).AssignerProtocol.MemberAssignment,
    defaultSocketFactory: require('kafkajs/src/network/socketFactory.js') as () => unknown,
    ...(require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error & { type?: string } }),
  };
}

const READ_UNCOMMITTED = 0; // as kafka-consumer-groups: the high watermark, not the last stable offset
const GROUP_COORDINATOR = 0;
const LATEST = -1; // ListOffsets timestamp meaning "the log end"

/** Runs `work` on every broker at once; throws only when all of them fail. */
async function perBroker<T>(nodeIds: readonly number[], work: (nodeId: number) => Promise<T>): Promise<{ answers: T[]; failures: BrokerFailure[] }> {
  const settled = await Promise.allSettled(nodeIds.map(work));
  const answers: T[] = [];
  const failures: BrokerFailure[] = [];
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') answers.push(result.value);
    else failures.push({ nodeId: nodeIds[i] as number, error: result.reason instanceof Error ? result.reason.message : String(result.reason) });
  });
  if (failures.length > 0 && answers.length === 0) throw new Error(failures.map((f) => `broker ${f.nodeId}: ${f.error}`).join('; '));
  return { answers, failures };
}

export interface KafkajsClientOptions {
  readonly connection: KafkaConnection;
  /** Per request (kafkajs requestTimeout) and connection deadline. */
  readonly timeoutMs: number;
  readonly metadataMaxAgeMs: number;
  readonly logger: Logger;
  /** Span attributes (no secrets). */
  readonly attributes: Readonly<Record<string, string | number>>;
}

export class KafkajsAdminClient implements KafkaAdminClient {
  private readonly options: KafkajsClientOptions;
  private cluster: KjsCluster | null = null;
  private readonly requests: Record<string, number> = {};
  private readonly coordinators = new Map<string, number>();
  private readonly kafkaLogger: unknown;

  constructor(options: KafkajsClientOptions) {
    this.options = options;
    const logger = options.logger;
    // kafkajs logs every failed request at ERROR; the probe reports failures through its checks
    // and the runner logs state changes, so kafkajs's own lines (WARN and above) go to DEBUG.
    this.kafkaLogger = kafkajs().createLogger({
      level: kafkajs().LEVELS.WARN,
      logCreator: () => (entry) => {
        const { message, ...rest } = entry.log;
        logger.debug({ event: 'kafka.client', details: { namespace: entry.namespace, level: entry.label, broker: rest.broker, error: rest.error } }, message);
      },
    });
  }

  private async connectedCluster(): Promise<KjsCluster> {
    if (this.cluster) return this.cluster;
    const { connection, timeoutMs, metadataMaxAgeMs } = this.options;
    // Files are read for each new cluster object: after any failure the probe resets the client,
    // so a rotated password or certificate is picked up on the next run.
    const secrets = await readConnectionSecrets(connection);
    if (this.cluster) return this.cluster;
    const emitter = new (kafkajs().InstrumentationEventEmitter)();
    emitter.addListener('network.request', (event) => {
      const api = event.payload.apiName;
      this.requests[api] = (this.requests[api] ?? 0) + 1;
    });
    this.cluster = new (kafkajs().Cluster)({
      logger: this.kafkaLogger,
      brokers: [...connection.brokers],
      clientId: connection.clientId,
      ssl: secrets.ssl,
      sasl: secrets.sasl,
      connectionTimeout: Math.min(timeoutMs, 10_000),
      authenticationTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      enforceRequestTimeout: true,
      metadataMaxAge: metadataMaxAgeMs,
      // One attempt per cycle: the next cycle is the retry, and the run's deadline stays honest.
      retry: { retries: 0 },
      allowAutoTopicCreation: false,
      isolationLevel: READ_UNCOMMITTED,
      instrumentationEmitter: emitter,
      socketFactory: kafkajs().defaultSocketFactory(),
    });
    tolerateOfflinePartitions(this.cluster);
    return this.cluster;
  }

  /** Runs one kafkajs call under a span, honouring the signal; on abort the connections are dropped. */
  private async call<T>(name: string, signal: AbortSignal, work: (cluster: KjsCluster) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const cluster = await this.connectedCluster();
    return traced(name, { ...this.options.attributes }, async () => {
      try {
        return await abortable(work(cluster), signal);
      } catch (err) {
        if (signal.aborted) await this.reset();
        throw err;
      }
    });
  }

  async metadata(signal: AbortSignal, refresh: boolean): Promise<ClusterMetadata> {
    return this.call('Metadata', signal, async (cluster) => {
      await cluster.connect();
      if (refresh || !cluster.brokerPool.metadata) await cluster.refreshMetadata();
      else await cluster.refreshMetadataIfNecessary();
      const meta = cluster.brokerPool.metadata;
      if (!meta) throw new Error('no metadata from the cluster');
      return toMetadata(meta);
    });
  }

  listGroups(signal: AbortSignal): Promise<GroupList> {
    return this.call('ListGroups', signal, async (cluster) => {
      const nodeIds = (cluster.brokerPool.metadata?.brokers ?? []).map((b) => b.nodeId);
      const { answers, failures } = await perBroker(nodeIds, async (nodeId) => (await (await cluster.findBroker({ nodeId })).listGroups()).groups);
      const seen = new Map<string, GroupListing>();
      for (const group of answers.flat()) seen.set(group.groupId, { groupId: group.groupId, protocolType: group.protocolType ?? '' });
      return { groups: [...seen.values()], failures };
    });
  }

  describeGroups(groupIds: readonly string[], signal: AbortSignal): Promise<GroupDescription[]> {
    return this.call('DescribeGroups', signal, async (cluster) => {
      const byCoordinator = new Map<number, string[]>();
      for (const groupId of groupIds) {
        const nodeId = await this.coordinatorOf(cluster, groupId);
        byCoordinator.set(nodeId, [...(byCoordinator.get(nodeId) ?? []), groupId]);
      }
      const answers = await Promise.all(
        [...byCoordinator].map(async ([nodeId, ids]) => (await (await cluster.findBroker({ nodeId })).describeGroups({ groupIds: ids })).groups),
      );
      return answers.flat().map((g) => {
        if (g.errorCode && kafkaErrorType(g.errorCode) === 'NOT_COORDINATOR') this.coordinators.delete(g.groupId);
        return {
          groupId: g.groupId,
          state: g.state,
          protocolType: g.protocolType,
          error: g.errorCode ? kafkaErrorType(g.errorCode) : null,
          members: g.members.map((member) => ({
            memberId: member.memberId,
            clientId: member.clientId,
            host: member.clientHost,
            assignment: g.protocolType === 'consumer' ? decodeAssignment(member.memberAssignment) : null,
          })),
        };
      });
    });
  }

  committedOffsets(groupId: string, signal: AbortSignal): Promise<CommittedOffset[]> {
    return this.call('OffsetFetch', signal, async (cluster) => {
      const broker = await cluster.findBroker({ nodeId: await this.coordinatorOf(cluster, groupId) });
      let answer: Awaited<ReturnType<typeof broker.offsetFetch>>;
      try {
        answer = await broker.offsetFetch({ groupId, topics: [] }); // empty = every topic (v2+)
      } catch (err) {
        this.coordinators.delete(groupId);
        throw err;
      }
      return answer.responses.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => ({ topic, partition, offset: Number(offset) < 0 ? null : Number(offset) })),
      );
    });
  }

  logEndOffsets(partitions: ReadonlyMap<string, readonly number[]>, signal: AbortSignal): Promise<EndOffsets> {
    return this.call('ListOffsets', signal, async (cluster) => {
      const leaders = new Map<string, number>();
      for (const t of cluster.brokerPool.metadata?.topicMetadata ?? []) {
        for (const p of t.partitionMetadata) leaders.set(`${t.topic}\u0000${p.partitionId}`, p.leader);
      }
      // Partitions grouped by leader: one ListOffsets request per broker.
      const byLeader = new Map<number, Map<string, number[]>>();
      for (const [topic, ids] of partitions) {
        for (const partition of ids) {
          const leader = leaders.get(`${topic}\u0000${partition}`);
          if (leader === undefined || leader < 0) continue;
          let topics = byLeader.get(leader);
          if (!topics) {
            topics = new Map();
            byLeader.set(leader, topics);
          }
          topics.set(topic, [...(topics.get(topic) ?? []), partition]);
        }
      }
      const { answers, failures } = await perBroker([...byLeader.keys()], async (nodeId) => {
        const broker = await cluster.findBroker({ nodeId });
        const topics = [...(byLeader.get(nodeId) ?? [])].map(([topic, ids]) => ({
          topic,
          partitions: ids.map((partition) => ({ partition, timestamp: LATEST })),
        }));
        return (await broker.listOffsets({ replicaId: -1, isolationLevel: READ_UNCOMMITTED, topics })).responses;
      });
      const offsets = answers.flat().flatMap(({ topic, partitions: ps }) => ps.map(({ partition, offset }) => ({ topic, partition, offset: Number(offset) })));
      return { offsets, failures };
    });
  }

  private async coordinatorOf(cluster: KjsCluster, groupId: string): Promise<number> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined) return known;
    // Any broker answers FindCoordinator; ask them in turn so one that is down does not matter.
    let lastError: unknown = new Error('no broker in the cluster metadata');
    for (const { nodeId } of cluster.brokerPool.metadata?.brokers ?? []) {
      try {
        const { coordinator } = await (await cluster.findBroker({ nodeId })).findGroupCoordinator({ groupId, coordinatorType: GROUP_COORDINATOR });
        this.coordinators.set(groupId, coordinator.nodeId);
        return coordinator.nodeId;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Requests sent since the client was created, by Kafka API name (tests and the benchmark count them). */
  requestsSent(): Readonly<Record<string, number>> {
    return { ...this.requests };
  }

  async reset(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = null;
    this.coordinators.clear();
    if (!cluster) return;
    // A frozen broker may never acknowledge the close; do not wait for it.
    await raceDeadline(cluster.disconnect(), 2000, undefined, 'disconnect').catch(() => {});
  }

  async close(): Promise<void> {
    await this.reset();
  }
}

function toMetadata(meta: KjsMetadata): ClusterMetadata {
  const topics = new Map<string, PartitionInfo[]>();
  for (const t of meta.topicMetadata) {
    if (t.topicErrorCode) continue; // a topic being deleted or not authorized: nothing to report on
    topics.set(
      t.topic,
      t.partitionMetadata
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
        .sort((a, b) => a.partition - b.partition),
    );
  }
  return {
    clusterId: meta.clusterId ?? null,
    controllerId: meta.controllerId === undefined || meta.controllerId < 0 ? null : meta.controllerId,
    brokers: meta.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
    topics,
  };
}

function decodeAssignment(buffer: Buffer): ReadonlyMap<string, readonly number[]> | null {
  if (!buffer || buffer.length === 0) return new Map();
  try {
    const decoded = kafkajs().MemberAssignment.decode(buffer);
    return decoded ? new Map(Object.entries(decoded.assignment)) : null;
  } catch {
    return null;
  }
}

function kafkaErrorType(code: number): string {
  try {
    return kafkajs().createErrorFromCode(code).type ?? `error ${code}`;
  } catch {
    return `error ${code}`;
  }
}
