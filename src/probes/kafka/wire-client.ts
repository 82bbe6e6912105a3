// `KafkaAdminClient` over Vigil's own Kafka wire client (protocol.ts, connection.ts). A cycle
// sends: ListGroups once per broker, ListOffsets once per partition leader for the log ends and
// once for the log starts, FindCoordinator once for all groups not seen before (or after
// NOT_COORDINATOR), DescribeGroups / ConsumerGroupDescribe and OffsetFetch once per coordinator
// for all its groups, Metadata only when the cache is older than `metadataMaxAgeMs` or after an
// error. Never a write: no commit, no offset reset, no group join.
import type { TLSSocket } from 'node:tls';
import { abortable } from '../../deadline.ts';
import type { Logger } from '../../log/logger.ts';
import { traced } from '../../telemetry/spans.ts';
import { reason } from '../../text.ts';
import type {
  BrokerFailure,
  ClusterMetadata,
  CommittedOffset,
  GroupDescription,
  GroupList,
  GroupListing,
  KafkaAdminClient,
  LogEnd,
  LogOffsets,
  PartitionInfo,
} from './admin-client.ts';
import { readConnectionSecrets, type KafkaConnection, type KafkaSecrets } from './secrets.ts';
import { BrokerConnection } from './connection.ts';
import * as p from './protocol.ts';

export interface WireClientOptions {
  readonly connection: KafkaConnection;
  /** Per request, and for connecting. */
  readonly timeoutMs: number;
  readonly metadataMaxAgeMs: number;
  readonly logger: Logger;
  /** Span attributes (no secrets). */
  readonly attributes: Readonly<Record<string, string | number>>;
}

/** Group errors after which the coordinator is looked up again. */
const COORDINATOR_MOVED = new Set([14, 15, 16]);

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs `work` on every broker at once; throws only when all of them fail. */
async function perBroker<T>(nodeIds: readonly number[], work: (nodeId: number) => Promise<T>): Promise<{ answers: T[]; failures: BrokerFailure[] }> {
  const settled = await Promise.allSettled(nodeIds.map(work));
  const answers: T[] = [];
  const failures: BrokerFailure[] = [];
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') answers.push(result.value);
    else failures.push({ nodeId: nodeIds[i] as number, error: reason(result.reason) });
  });
  if (failures.length > 0 && answers.length === 0) throw new Error(failures.map((f) => `broker ${f.nodeId}: ${f.error}`).join('; '));
  return { answers, failures };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export class WireAdminClient implements KafkaAdminClient {
  private readonly options: WireClientOptions;
  private readonly connections = new Map<string, BrokerConnection>();
  private secrets: Promise<KafkaSecrets> | null = null;
  private cached: { meta: ClusterMetadata; at: number } | null = null;
  /** A partition answered "not the leader": the next metadata() re-reads the cluster. */
  private stale = false;
  private readonly coordinators = new Map<string, number>();
  private readonly requests: Record<string, number> = {};

  constructor(options: WireClientOptions) {
    this.options = options;
  }

  /** Requests sent since the client was created, by Kafka API name (tests and the benchmark count them). */
  requestsSent(): Readonly<Record<string, number>> {
    return { ...this.requests };
  }

  private async connectionTo(address: string): Promise<BrokerConnection> {
    let connection = this.connections.get(address);
    if (!connection || connection.closed) {
      // Files are read again after every reset: a rotated password or certificate is picked up.
      this.secrets ??= readConnectionSecrets(this.options.connection);
      const secrets = await this.secrets.catch((err: unknown) => {
        this.secrets = null;
        throw err;
      });
      connection = this.connections.get(address);
      if (!connection || connection.closed) {
        const [host, port] = splitAddress(address);
        connection = new BrokerConnection({
          host,
          port,
          clientId: this.options.connection.clientId,
          timeoutMs: this.options.timeoutMs,
          secrets,
          onRequest: (api) => {
            this.requests[api] = (this.requests[api] ?? 0) + 1;
          },
          // The probe reports failures through its checks and the runner logs state changes:
          // connection-level detail is for debugging.
          onClosed: (err) => this.options.logger.debug({ event: 'kafka.connection_closed', details: { broker: address, error: err.message } }, err.message),
        });
        this.connections.set(address, connection);
      }
    }
    await connection.open();
    return connection;
  }

  private async broker(nodeId: number): Promise<BrokerConnection> {
    const b = this.cached?.meta.brokers.find((x) => x.nodeId === nodeId);
    if (!b) throw new Error(`broker ${nodeId} is not in the cluster metadata`);
    return this.connectionTo(`${b.host}:${b.port}`);
  }

  private async request<T>(
    connection: BrokerConnection,
    api: p.ApiName,
    body: (version: number) => Buffer,
    decode: (r: p.Reader, version: number) => T,
  ): Promise<T> {
    const { reader, version } = await connection.request(api, body);
    return decode(reader, version);
  }

  /** Runs one step under a span, honouring the signal; on abort every connection is dropped. */
  private async call<T>(name: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    return traced(name, { ...this.options.attributes }, async () => {
      try {
        return await abortable(work(), signal);
      } catch (err) {
        if (signal.aborted) await this.reset();
        throw err;
      }
    });
  }

  metadata(signal: AbortSignal, refresh: boolean): Promise<ClusterMetadata> {
    const cached = this.cached;
    if (cached && !refresh && !this.stale && Date.now() - cached.at < this.options.metadataMaxAgeMs) return Promise.resolve(cached.meta);
    return this.call('Metadata', signal, async () => {
      // Any broker answers: the open connections first, then the bootstrap list, then the brokers known.
      const known = (this.cached?.meta.brokers ?? []).map((b) => `${b.host}:${b.port}`);
      const open = [...this.connections].filter(([, c]) => !c.closed).map(([a]) => a);
      const candidates = [...new Set([...open, ...this.options.connection.brokers, ...known])];
      let lastError: unknown = new Error('no broker to ask');
      for (const address of candidates) {
        try {
          const answer = await this.request(await this.connectionTo(address), 'Metadata', () => p.encodeMetadata(), p.decodeMetadata);
          const meta = toMetadata(answer);
          this.cached = { meta, at: Date.now() };
          this.stale = false;
          return meta;
        } catch (err) {
          lastError = err;
        }
      }
      throw lastError;
    });
  }

  private nodeIds(): number[] {
    return (this.cached?.meta.brokers ?? []).map((b) => b.nodeId);
  }

  listGroups(signal: AbortSignal): Promise<GroupList> {
    return this.call('ListGroups', signal, async () => {
      const { answers, failures } = await perBroker(this.nodeIds(), async (nodeId) =>
        this.request(await this.broker(nodeId), 'ListGroups', p.encodeListGroups, p.decodeListGroups),
      );
      const seen = new Map<string, GroupListing>();
      for (const g of answers.flat()) seen.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, groupType: g.groupType });
      return { groups: [...seen.values()], failures };
    });
  }

  /** The coordinator of each group: cached, else one batched FindCoordinator (any broker answers). */
  private async coordinatorsOf(groupIds: readonly string[]): Promise<Map<string, number | Error>> {
    const out = new Map<string, number | Error>();
    const unknown: string[] = [];
    for (const id of groupIds) {
      const known = this.coordinators.get(id);
      if (known === undefined) unknown.push(id);
      else out.set(id, known);
    }
    if (unknown.length === 0) return out;
    let lastError: unknown = new Error('no broker in the cluster metadata');
    for (const nodeId of this.nodeIds()) {
      try {
        const connection = await this.broker(nodeId);
        const answer = await this.request(connection, 'FindCoordinator', () => p.encodeFindCoordinator(unknown), p.decodeFindCoordinator);
        for (const c of answer) {
          if (c.error !== 0) {
            out.set(c.key, new p.KafkaProtocolError(c.error, 'FindCoordinator', c.message));
            continue;
          }
          this.coordinators.set(c.key, c.nodeId);
          out.set(c.key, c.nodeId);
        }
        for (const id of unknown) if (!out.has(id)) out.set(id, new Error('FindCoordinator: no answer for the group'));
        return out;
      } catch (err) {
        lastError = err;
      }
    }
    for (const id of unknown) out.set(id, asError(lastError));
    return out;
  }

  /** Groups by coordinator; groups whose coordinator is unknown get the error in `out`. */
  private async byCoordinator<V>(groupIds: readonly string[], out: Map<string, V | Error>): Promise<Map<number, string[]>> {
    const grouped = new Map<number, string[]>();
    for (const [id, coordinator] of await this.coordinatorsOf(groupIds)) {
      if (coordinator instanceof Error) out.set(id, coordinator);
      else push(grouped, coordinator, id);
    }
    return grouped;
  }

  /** A request to a coordinator failed as a whole: its groups get the error and are looked up again. */
  private coordinatorFailed<V>(ids: readonly string[], err: unknown, out: Map<string, V | Error>): void {
    for (const id of ids) {
      this.coordinators.delete(id);
      out.set(id, asError(err));
    }
  }

  private groupError(groupId: string, code: number, api: string, message?: string | null): Error {
    if (COORDINATOR_MOVED.has(code)) this.coordinators.delete(groupId);
    return new p.KafkaProtocolError(code, api, message);
  }

  describeGroups(groups: readonly GroupListing[], signal: AbortSignal): Promise<Map<string, GroupDescription | Error>> {
    return this.call('DescribeGroups', signal, async () => {
      const out = new Map<string, GroupDescription | Error>();
      const consumerProtocol = new Set(groups.filter((g) => g.groupType === 'consumer').map((g) => g.groupId));
      const grouped = await this.byCoordinator(
        groups.map((g) => g.groupId),
        out,
      );
      await Promise.all(
        [...grouped].map(async ([nodeId, ids]) => {
          try {
            const connection = await this.broker(nodeId);
            const modern = ids.filter((id) => consumerProtocol.has(id));
            const classic = ids.filter((id) => !consumerProtocol.has(id));
            await Promise.all([
              classic.length > 0 &&
                this.request(connection, 'DescribeGroups', () => p.encodeDescribeGroups(classic), p.decodeDescribeGroups).then((answer) => {
                  for (const g of answer) out.set(g.groupId, this.classicDescription(g));
                }),
              modern.length > 0 &&
                this.request(connection, 'ConsumerGroupDescribe', () => p.encodeConsumerGroupDescribe(modern), p.decodeConsumerGroupDescribe).then((answer) => {
                  for (const g of answer) out.set(g.groupId, this.consumerDescription(g));
                }),
            ]);
          } catch (err) {
            this.coordinatorFailed(
              ids.filter((id) => !out.has(id)),
              err,
              out,
            );
          }
        }),
      );
      return out;
    });
  }

  private classicDescription(g: p.DescribedGroup): GroupDescription | Error {
    if (g.error !== 0) return this.groupError(g.groupId, g.error, 'DescribeGroups');
    return {
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      error: null,
      members: g.members.map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        host: member.host,
        assignment: g.protocolType === 'consumer' ? p.decodeConsumerAssignment(member.assignment) : null,
      })),
    };
  }

  private consumerDescription(g: p.DescribedConsumerGroup): GroupDescription | Error {
    if (g.error !== 0) return this.groupError(g.groupId, g.error, 'ConsumerGroupDescribe', g.message);
    return {
      groupId: g.groupId,
      state: g.state,
      protocolType: 'consumer',
      error: null,
      members: g.members.map((member) => ({ memberId: member.memberId, clientId: member.clientId, host: member.host, assignment: member.assignment })),
    };
  }

  committedOffsets(groupIds: readonly string[], signal: AbortSignal): Promise<Map<string, CommittedOffset[] | Error>> {
    return this.call('OffsetFetch', signal, async () => {
      const out = new Map<string, CommittedOffset[] | Error>();
      const grouped = await this.byCoordinator(groupIds, out);
      await Promise.all(
        [...grouped].map(async ([nodeId, ids]) => {
          try {
            const answer = await this.request(await this.broker(nodeId), 'OffsetFetch', () => p.encodeOffsetFetch(ids), p.decodeOffsetFetch);
            for (const g of answer) {
              // GROUP_ID_NOT_FOUND: deleted meanwhile, nothing committed.
              if (g.error !== 0 && g.error !== 69) out.set(g.groupId, this.groupError(g.groupId, g.error, 'OffsetFetch'));
              else
                out.set(
                  g.groupId,
                  g.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.error !== 0 || o.offset < 0 ? null : o.offset })),
                );
            }
            for (const id of ids) if (!out.has(id)) out.set(id, new Error('OffsetFetch: no answer for the group'));
          } catch (err) {
            this.coordinatorFailed(ids, err, out);
          }
        }),
      );
      return out;
    });
  }

  logOffsets(partitions: ReadonlyMap<string, readonly number[]>, which: LogEnd, signal: AbortSignal): Promise<LogOffsets> {
    return this.call('ListOffsets', signal, async () => {
      const leaders = new Map<string, number>();
      for (const [topic, parts] of this.cached?.meta.topics ?? []) for (const info of parts) leaders.set(`${topic}\u0000${info.partition}`, info.leader);
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
          push(topics, topic, partition);
        }
      }
      const timestamp = which === 'end' ? p.LATEST : p.EARLIEST;
      const { answers, failures } = await perBroker([...byLeader.keys()], async (nodeId) =>
        this.request(await this.broker(nodeId), 'ListOffsets', () => p.encodeListOffsets(byLeader.get(nodeId) ?? new Map(), timestamp), p.decodeListOffsets),
      );
      const offsets = [];
      for (const o of answers.flat()) {
        // Not the leader any more (or not yet): left out this cycle, leaders re-read for the next.
        if (o.error !== 0) this.stale = true;
        else offsets.push({ topic: o.topic, partition: o.partition, offset: o.offset });
      }
      return { offsets, failures };
    });
  }

  tlsSockets(): ReadonlyMap<string, TLSSocket> {
    const sockets = new Map<string, TLSSocket>();
    for (const [address, connection] of this.connections) {
      const socket = connection.tlsSocket;
      if (socket) sockets.set(address, socket);
    }
    return sockets;
  }

  async reset(): Promise<void> {
    for (const connection of this.connections.values()) connection.destroy();
    this.connections.clear();
    this.coordinators.clear();
    this.secrets = null;
    this.cached = null;
  }

  async close(): Promise<void> {
    await this.reset();
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return [host, Number(address.slice(at + 1))];
}

function toMetadata(answer: p.MetadataAnswer): ClusterMetadata {
  const topics = new Map<string, PartitionInfo[]>();
  for (const t of answer.topics) {
    if (t.error !== 0) continue; // a topic being deleted or not authorized: nothing to report on
    topics.set(
      t.name,
      t.partitions.map(({ partition, leader, replicas, isr }) => ({ partition, leader, replicas, isr })).sort((a, b) => a.partition - b.partition),
    );
  }
  return {
    clusterId: answer.clusterId,
    controllerId: answer.controllerId < 0 ? null : answer.controllerId,
    brokers: answer.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
    topics,
  };
}
