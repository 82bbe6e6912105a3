// One Kafka cluster: brokers and controller, partition health, and for every watched consumer
// group its lag in messages and seconds and its Burrow-style status. Read-only.
import type { Logger } from '../../log/logger.ts';
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { emptyCollection, type CheckObservation, type Collection, type Probe, type ProbeContext } from '../types.ts';
import type { ClusterMetadata, CommittedOffset, GroupDescription, GroupListing, KafkaAdminClient } from './admin-client.ts';
import { WireAdminClient } from './wire-client.ts';
import type { KafkaOptions } from './config.ts';
import { PER_PARTITION_AUTO_MAX } from './metadata.ts';
import { CAUGHT_UP, EndOffsetHistory, maxLag, type LagEstimate } from './lag.ts';
import { StatusWindow, STATUS_CODE, type ConsumerStatus } from './status.ts';
import * as m from './metadata.ts';
import { reason, round2 } from '../../text.ts';
import { judge } from '../../checks/judge.ts';
import { reportPeerCertificate } from '../certificates/peer.ts';

export interface KafkaProbeDeps {
  /** The client to read the cluster with; default the one built by kafkaClientFor. */
  readonly client?: KafkaAdminClient;
}

/** The wire client for one cluster target, as the probe builds it. */
export function kafkaClientFor(settings: ProbeSettings<KafkaOptions>, logger: Logger): WireAdminClient {
  const [host, port] = (settings.options.connection.brokers[0] ?? '').split(/:(?=\d+$)/);
  return new WireAdminClient({
    connection: settings.options.connection,
    timeoutMs: settings.schedule.timeoutMs,
    metadataMaxAgeMs: settings.options.metadataMaxAgeMs,
    logger,
    attributes: { 'messaging.system': 'kafka', 'vigil.target': settings.options.cluster, 'server.address': host ?? '', 'server.port': Number(port ?? 0) },
  });
}

/** Group protocol types the probe reads: classic consumer groups, and offsets-only groups (''). */
const CONSUMER_PROTOCOLS = new Set(['consumer', '']);

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** What one group looks like in one run. */
interface GroupReport {
  readonly groupId: string;
  readonly state: string;
  readonly members: number | null;
  readonly partitions: readonly PartitionReport[];
  /** Partitions of its topics whose log end could not be read (offline, leader unreachable). */
  readonly unavailable: number;
  readonly error: string | null;
}

interface PartitionReport {
  readonly topic: string;
  readonly partition: number;
  /** null: never committed. */
  readonly committed: number | null;
  readonly end: number;
  /** null when not committed. */
  readonly lag: number | null;
  /** Messages deleted (retention, delete-records) before the group read them: log start − committed when positive. */
  readonly lost: number;
  /** null when the log start could not be read. */
  readonly start: number | null;
  readonly owned: boolean;
}

interface GroupMemory {
  readonly windows: Map<string, StatusWindow>;
}

export class KafkaProbe extends DeclaredProbe<KafkaOptions> implements Probe {
  /** Cluster-wide checks are reported under the cluster's name, failed runs included. */
  readonly componentId: string;
  private readonly logger: Logger;
  private readonly client: KafkaAdminClient;
  private readonly histories = new Map<string, EndOffsetHistory>();
  private readonly groups = new Map<string, GroupMemory>();
  private refreshMetadata = false;
  /** Whether this run publishes per-partition series (per_partition_metrics, or its automatic default). */
  private perPartition = true;
  /** Topics groups committed on that the fresh metadata did not know (deleted topics). */
  private unknownTopics = new Set<string>();
  private knownGroups = new Map<string, GroupListing>();

  constructor(settings: ProbeSettings<KafkaOptions>, ctx: ProbeContext, deps: KafkaProbeDeps = {}) {
    super(m.KAFKA, settings);
    this.componentId = settings.options.cluster;
    // ctx.logger already carries `component` (probe.kafka); a child adding it again prints it twice.
    this.logger = ctx.logger;
    this.client = deps.client ?? kafkaClientFor(settings, this.logger);
  }

  async start(signal: AbortSignal): Promise<void> {
    // Connecting happens in collect(): an unreachable cluster must fail checks, not the start.
    signal.throwIfAborted();
  }

  async stop(): Promise<void> {
    await this.client.close();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const out = emptyCollection();
    const cluster = this.options.cluster;
    const meta = await this.step(signal, 'cannot read cluster metadata', () => this.client.metadata(signal, this.refreshMetadata));
    this.refreshMetadata = false;

    const listing = await this.step(signal, 'cannot list consumer groups', () => this.client.listGroups(signal));
    const listed = listing.groups.filter((g) => CONSUMER_PROTOCOLS.has(g.protocolType) && this.wanted(g.groupId));
    // Each coordinator lists its own groups: while a broker does not answer, the groups seen
    // before stay watched (their reads fail, status ERR) instead of silently disappearing.
    const listedIds = new Set(listed.map((g) => g.groupId));
    if (listing.failures.length > 0) for (const g of this.knownGroups.values()) if (!listedIds.has(g.groupId)) listed.push(g);
    this.knownGroups = new Map(listed.map((g) => [g.groupId, g]));
    const watched = listed.sort((a, b) => a.groupId.localeCompare(b.groupId));
    const watchedIds = new Set(watched.map((g) => g.groupId));
    out.samples.push({ metric: m.groupsWatched, labels: { cluster }, value: watched.length });

    const [descriptions, offsets] = await Promise.all([this.describe(watched, signal), this.committed(watched, signal)]);

    // Topics a group consumes: those it committed on and those assigned to its members.
    const consumed = new Map<string, Set<string>>();
    for (const g of watched) {
      const topics = new Set<string>();
      const committed = offsets.get(g.groupId);
      if (Array.isArray(committed)) for (const o of committed) topics.add(o.topic);
      const description = descriptions.get(g.groupId);
      for (const member of description instanceof Error ? [] : (description?.members ?? []))
        for (const topic of member.assignment?.keys() ?? []) topics.add(topic);
      consumed.set(g.groupId, topics);
    }
    let topicsMeta = meta;
    const allTopics = new Set([...consumed.values()].flatMap((s) => [...s]));
    // A topic created since the metadata was cached: re-read it once. A topic that stays unknown
    // (deleted, offsets left behind) must not cost a Metadata request every cycle.
    const unknown = [...allTopics].filter((t) => !meta.topics.has(t));
    if (unknown.some((t) => !this.unknownTopics.has(t))) {
      topicsMeta = await this.step(signal, 'cannot read cluster metadata', () => this.client.metadata(signal, true));
    }
    this.unknownTopics = new Set(unknown.filter((t) => !topicsMeta.topics.has(t)));
    // per_partition_metrics unset: per-partition series only while the group-partition pairs
    // watched stay at PER_PARTITION_AUTO_MAX or fewer (107 groups × 50 partitions would be 11k series).
    const groupPartitions = [...consumed.values()].reduce(
      (n, topics) => n + [...topics].reduce((k, topic) => k + (topicsMeta.topics.get(topic)?.length ?? 0), 0),
      0,
    );
    const setting = this.options.perPartitionMetrics;
    const perPartition = setting === 'auto' ? groupPartitions <= PER_PARTITION_AUTO_MAX : setting;
    if (setting === 'auto' && perPartition !== this.perPartition) {
      this.logger.info(
        { event: 'kafka.per_partition_series', details: { cluster, enabled: perPartition, group_partitions: groupPartitions, limit: PER_PARTITION_AUTO_MAX } },
        `cluster ${cluster}: per-partition series ${perPartition ? 'on' : `off (${groupPartitions} group partitions > ${PER_PARTITION_AUTO_MAX}; set per_partition_metrics: true to keep them)`}`,
      );
    }
    this.perPartition = perPartition;
    const wantedPartitions = new Map<string, number[]>();
    const wantedKeys = new Set<string>();
    for (const topic of allTopics) {
      const parts = topicsMeta.topics.get(topic);
      if (parts)
        wantedPartitions.set(
          topic,
          parts.map((p) => p.partition),
        );
      for (const p of parts ?? []) wantedKeys.add(partitionKey(topic, p.partition));
    }
    // Log starts too: a committed offset below it means messages deleted before being consumed.
    const [ends, starts] = await this.step(signal, 'cannot read log offsets', () =>
      Promise.all([this.client.logOffsets(wantedPartitions, 'end', signal), this.client.logOffsets(wantedPartitions, 'start', signal)]),
    );
    const unreachable = new Map<number, string>();
    for (const f of [...listing.failures, ...ends.failures, ...starts.failures]) unreachable.set(f.nodeId, f.error);
    if (unreachable.size > 0) this.refreshMetadata = true; // leaders and coordinators may have moved
    this.reportCluster(topicsMeta, unreachable, out);
    const now = Date.now();
    const endOf = new Map<string, number>();
    const startOf = new Map(starts.offsets.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
    for (const e of ends.offsets) {
      const key = partitionKey(e.topic, e.partition);
      endOf.set(key, e.offset);
      let history = this.histories.get(key);
      if (!history) {
        history = new EndOffsetHistory();
        this.histories.set(key, history);
      }
      history.add(now, e.offset, this.options.lagHistoryMs);
      if (this.perPartition) {
        out.samples.push({ metric: m.partitionEnd, labels: { cluster, topic: e.topic, partition: String(e.partition) }, value: e.offset });
      }
    }
    // Histories of partitions no longer consumed go; those unreadable this cycle (leader down) stay.
    for (const key of this.histories.keys()) if (!wantedKeys.has(key)) this.histories.delete(key);

    for (const g of watched) {
      const report = this.groupReport(g, descriptions.get(g.groupId), offsets.get(g.groupId), consumed.get(g.groupId) ?? new Set(), topicsMeta, endOf, startOf);
      this.reportGroup(report, now, out);
    }
    for (const id of this.groups.keys()) if (!watchedIds.has(id)) this.groups.delete(id);
    for (const [address, socket] of this.client.tlsSockets()) {
      reportPeerCertificate(out, socket, { source: `${this.name}/${address}`, thresholds: this.options.expiryThresholds });
    }
    return out;
  }

  /** A cluster-wide step: on failure the whole run fails (every check, with this reason). */
  private async step<T>(signal: AbortSignal, what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      signal.throwIfAborted();
      this.refreshMetadata = true;
      await this.client.reset();
      throw new Error(`${what}: ${reason(err)}`, { cause: err });
    }
  }

  private wanted(groupId: string): boolean {
    const { groupsInclude, groupsExclude } = this.options;
    return (groupsInclude === null || groupsInclude.test(groupId)) && (groupsExclude === null || !groupsExclude.test(groupId));
  }

  private reportCluster(meta: ClusterMetadata, unreachable: ReadonlyMap<number, string>, out: Collection): void {
    const cluster = this.options.cluster;
    let partitionCount = 0;
    let underReplicated = 0;
    const offline: string[] = [];
    for (const [topic, parts] of meta.topics) {
      for (const p of parts) {
        partitionCount++;
        if (p.leader < 0) offline.push(`${topic}/${p.partition}`);
        else if (p.isr.length < p.replicas.length) underReplicated++;
      }
    }
    out.samples.push(
      { metric: m.brokers, labels: { cluster }, value: meta.brokers.length },
      { metric: m.controller, labels: { cluster }, value: meta.controllerId === null ? 0 : 1 },
      { metric: m.topics, labels: { cluster }, value: meta.topics.size },
      { metric: m.partitions, labels: { cluster }, value: partitionCount },
      { metric: m.underReplicated, labels: { cluster }, value: underReplicated },
      { metric: m.offline, labels: { cluster }, value: offline.length },
    );
    const controllerKnown = meta.controllerId !== null && meta.brokers.some((b) => b.nodeId === meta.controllerId);
    // While anything is degraded the cached metadata would hide the recovery: re-read it each cycle.
    if (!controllerKnown || offline.length > 0 || underReplicated > 0) this.refreshMetadata = true;
    const brokersText = `${meta.brokers.length} broker(s), ${controllerKnown ? `controller ${meta.controllerId}` : 'no active controller'}`;
    const unreachableText = [...unreachable].map(([nodeId, error]) => `broker ${nodeId} unreachable: ${error}`).join('; ');
    for (const [nodeId, error] of unreachable) out.errors.push({ componentId: cluster, message: `broker ${nodeId}: ${error}` });
    out.checks.push(
      !controllerKnown
        ? {
            check: m.clusterCheck,
            componentId: cluster,
            observedValue: meta.brokers.length,
            status: 'fail',
            output: brokersText + (unreachableText ? `; ${unreachableText}` : ''),
          }
        : unreachable.size > 0
          ? {
              check: m.clusterCheck,
              componentId: cluster,
              observedValue: meta.brokers.length,
              status: 'warn',
              severity: 'SEV3',
              output: `${brokersText}; ${unreachableText}`,
            }
          : { check: m.clusterCheck, componentId: cluster, observedValue: meta.brokers.length, status: 'pass', output: brokersText },
    );
    const detail = `${offline.length} offline, ${underReplicated} under-replicated of ${partitionCount}`;
    out.checks.push(
      offline.length > 0
        ? {
            check: m.partitionsCheck,
            componentId: cluster,
            observedValue: offline.length,
            status: 'fail',
            output: `${detail} (${offline.slice(0, 5).join(', ')}${offline.length > 5 ? ', …' : ''})`,
          }
        : underReplicated > 0
          ? { check: m.partitionsCheck, componentId: cluster, observedValue: underReplicated, status: 'warn', severity: 'SEV3', output: detail }
          : { check: m.partitionsCheck, componentId: cluster, observedValue: 0, status: 'pass', output: detail },
    );
  }

  /** Descriptions of the watched groups: DescribeGroups or ConsumerGroupDescribe by group type, an error per group. */
  private async describe(groups: readonly GroupListing[], signal: AbortSignal): Promise<Map<string, GroupDescription | Error>> {
    return groups.length === 0 ? new Map() : this.client.describeGroups(groups, signal);
  }

  private async committed(groups: readonly GroupListing[], signal: AbortSignal): Promise<Map<string, CommittedOffset[] | Error>> {
    return groups.length === 0
      ? new Map()
      : this.client.committedOffsets(
          groups.map((g) => g.groupId),
          signal,
        );
  }

  private groupReport(
    listing: GroupListing,
    description: GroupDescription | Error | undefined,
    committed: CommittedOffset[] | Error | undefined,
    topics: ReadonlySet<string>,
    meta: ClusterMetadata,
    endOf: ReadonlyMap<string, number>,
    startOf: ReadonlyMap<string, number>,
  ): GroupReport {
    const groupId = listing.groupId;
    const described = description instanceof Error || description === undefined ? null : description;
    const errors: string[] = [];
    if (description instanceof Error) errors.push(`DescribeGroups: ${reason(description)}`);
    else if (described?.error) errors.push(`DescribeGroups: ${described.error}`);
    if (committed instanceof Error) errors.push(`OffsetFetch: ${reason(committed)}`);
    const committedOf = new Map<string, number | null>();
    if (Array.isArray(committed)) for (const o of committed) committedOf.set(partitionKey(o.topic, o.partition), o.offset);
    const owned = new Set<string>();
    let assignmentKnown = true;
    for (const member of described?.members ?? []) {
      if (member.assignment === null) assignmentKnown = false;
      for (const [topic, parts] of member.assignment ?? []) for (const p of parts) owned.add(partitionKey(topic, p));
    }
    const hasMembers = (described?.members.length ?? 0) > 0;
    const partitions: PartitionReport[] = [];
    let unavailable = 0;
    if (!(committed instanceof Error)) {
      for (const topic of [...topics].sort()) {
        for (const info of meta.topics.get(topic) ?? []) {
          const key = partitionKey(topic, info.partition);
          const end = endOf.get(key);
          if (end === undefined) {
            unavailable++;
            continue;
          }
          const offset = committedOf.get(key) ?? null;
          const start = startOf.get(key) ?? null;
          partitions.push({
            topic,
            partition: info.partition,
            committed: offset,
            end,
            lag: offset === null ? null : Math.max(0, end - offset),
            start,
            lost: offset === null || start === null ? 0 : Math.max(0, start - offset),
            owned: owned.has(key) || (!assignmentKnown && hasMembers),
          });
        }
      }
    }
    return {
      groupId,
      state: described?.state ?? 'Unknown',
      members: described === null ? null : described.members.length,
      partitions,
      unavailable,
      error: errors.length > 0 ? errors.join('; ') : null,
    };
  }

  private reportGroup(report: GroupReport, now: number, out: Collection): void {
    const cluster = this.options.cluster;
    const group = report.groupId;
    const labels = { cluster, group };
    const componentId = `${cluster}/${group}`;
    out.samples.push({ metric: m.groupState, labels: { ...labels, state: report.state }, value: 1 });
    if (report.members !== null) out.samples.push({ metric: m.groupMembers, labels, value: report.members });

    let memory = this.groups.get(group);
    if (!memory) {
      memory = { windows: new Map() };
      this.groups.set(group, memory);
    }

    if (report.error !== null && report.partitions.length === 0) {
      out.errors.push({ componentId, message: report.error });
      out.samples.push({ metric: m.groupStatus, labels, value: STATUS_CODE.ERR });
      const failed = (check: typeof m.lagSecondsCheck): CheckObservation => ({
        check,
        componentId,
        observedValue: null,
        status: 'fail',
        output: report.error ?? '',
      });
      out.checks.push(failed(m.lagSecondsCheck), failed(m.lagMessagesCheck), failed(m.dataLossCheck), { ...failed(m.statusCheck), observedValue: 'ERR' });
      return;
    }
    if (report.error !== null) out.errors.push({ componentId, message: report.error });

    let sum = 0;
    let max = 0;
    let maxAt = '';
    let seconds: LagEstimate = CAUGHT_UP;
    let status: ConsumerStatus = 'OK';
    let why = 'no committed partitions';
    const topicSums = new Map<string, number>();
    let uncommitted = 0;
    let lost = 0;
    const lostAt: string[] = [];
    const seen = new Set<string>();
    for (const p of report.partitions) {
      const key = partitionKey(p.topic, p.partition);
      const partitionLabels = { ...labels, topic: p.topic, partition: String(p.partition) };
      if (p.committed === null || p.lag === null) {
        uncommitted++;
        continue;
      }
      seen.add(key);
      sum += p.lag;
      if (p.lost > 0) {
        lost += p.lost;
        lostAt.push(`${p.topic}/${p.partition} committed ${p.committed} < log start ${p.start}`);
      }
      if (p.lag > max || maxAt === '') [max, maxAt] = [p.lag, `${p.topic}/${p.partition}`];
      topicSums.set(p.topic, (topicSums.get(p.topic) ?? 0) + p.lag);
      if (this.perPartition) {
        out.samples.push(
          { metric: m.partitionLag, labels: partitionLabels, value: p.lag },
          { metric: m.partitionCommitted, labels: partitionLabels, value: p.committed },
        );
      }
      const history = this.histories.get(key);
      if (history && p.lag > 0) seconds = maxLag(seconds, history.lagSeconds(p.committed, now));

      let window = memory.windows.get(key);
      if (!window) {
        window = new StatusWindow(this.options.statusWindow);
        memory.windows.set(key, window);
      }
      window.add({ at: now, committed: p.committed, lag: p.lag });
      const evaluation = window.evaluate(p.owned);
      if (STATUS_CODE[evaluation.status] > STATUS_CODE[status] || (status === 'OK' && evaluation.status === 'OK')) {
        why = evaluation.status === 'OK' ? evaluation.reason : `${p.topic}/${p.partition}: ${evaluation.reason}`;
        status = evaluation.status;
      }
    }
    for (const key of memory.windows.keys()) if (!seen.has(key)) memory.windows.delete(key);

    const committedCount = report.partitions.length - uncommitted;
    out.samples.push(
      { metric: m.lagSum, labels, value: sum },
      { metric: m.lagMax, labels, value: max },
      { metric: m.uncommitted, labels, value: uncommitted },
      { metric: m.lostMessages, labels, value: lost },
    );
    out.checks.push(
      lost > 0
        ? {
            check: m.dataLossCheck,
            componentId,
            observedValue: lost,
            status: 'fail',
            output: `${lost} message(s) deleted before being consumed on ${lostAt.length} partition(s): ${lostAt.slice(0, 5).join(', ')}${lostAt.length > 5 ? ', …' : ''}`,
          }
        : { check: m.dataLossCheck, componentId, observedValue: 0, status: 'pass', output: 'no committed offset below the log start' },
    );
    for (const [topic, value] of topicSums) out.samples.push({ metric: m.topicLagSum, labels: { ...labels, topic }, value });
    const uncommittedNote =
      (uncommitted > 0 ? `; ${uncommitted} partition(s) without a committed offset` : '') +
      (report.unavailable > 0 ? `; ${report.unavailable} partition(s) unavailable (offline or leader unreachable)` : '');

    if (committedCount === 0) {
      // Nothing committed: the lag is unknown, not zero and not the whole log.
      const output = report.partitions.length === 0 ? 'no partitions consumed' : `no committed offset on any of ${report.partitions.length} partition(s)`;
      const unknown = report.partitions.length > 0;
      const obs = (check: typeof m.lagSecondsCheck): CheckObservation =>
        unknown
          ? { check, componentId, observedValue: null, status: 'warn', severity: 'SEV4', output }
          : { check, componentId, observedValue: 0, status: 'pass', output };
      out.checks.push(obs(m.lagSecondsCheck), obs(m.lagMessagesCheck));
    } else {
      const secondsValue = round2(seconds.seconds);
      out.samples.push({ metric: m.lagSeconds, labels, value: secondsValue }, { metric: m.lagSecondsLowerBound, labels, value: seconds.atLeast ? 1 : 0 });
      out.checks.push(
        judge(
          m.lagSecondsCheck,
          componentId,
          secondsValue,
          this.options.lagSecondsThresholds,
          `${seconds.atLeast ? 'at least ' : ''}${secondsValue} s behind`,
          uncommittedNote,
        ),
        judge(
          m.lagMessagesCheck,
          componentId,
          sum,
          this.options.lagMessagesThresholds,
          `${sum} message(s) behind on ${committedCount} partition(s), max ${max}${maxAt ? ` on ${maxAt}` : ''}`,
          uncommittedNote,
        ),
      );
    }

    out.samples.push({ metric: m.groupStatus, labels, value: STATUS_CODE[status] });
    const checkStatus = status === 'OK' ? 'pass' : status === 'WARN' || status === 'REWIND' ? 'warn' : 'fail';
    out.checks.push({
      check: m.statusCheck,
      componentId,
      observedValue: status,
      status: checkStatus,
      ...(checkStatus === 'warn' ? { severity: 'SEV3' as const } : {}),
      output: `${status}: ${why} (${report.state}, ${report.members ?? '?'} member(s))`,
    });
  }
}
