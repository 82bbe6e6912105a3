// The narrow, read-only view of a Kafka cluster the probe needs. Implemented by Vigil's own wire
// client (wire-client.ts over protocol.ts and connection.ts); the probe depends only on this.
import type { TLSSocket } from 'node:tls';

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface PartitionInfo {
  readonly partition: number;
  /** -1 when the partition has no leader (offline). */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface ClusterMetadata {
  readonly clusterId: string | null;
  /** null when the cluster reports no active controller. */
  readonly controllerId: number | null;
  readonly brokers: readonly BrokerInfo[];
  readonly topics: ReadonlyMap<string, readonly PartitionInfo[]>;
}

export interface GroupListing {
  readonly groupId: string;
  /** `consumer` for consumer groups, `connect`, '' for groups that only commit offsets… */
  readonly protocolType: string;
  /** `classic`, or `consumer` for a KIP-848 (consumer protocol) group; '' when the broker predates ListGroups v5. */
  readonly groupType: string;
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  /** Assigned partitions by topic; null when the assignment is not in the classic consumer format. */
  readonly assignment: ReadonlyMap<string, readonly number[]> | null;
}

export interface GroupDescription {
  readonly groupId: string;
  /** Stable, Empty, PreparingRebalance, CompletingRebalance, Dead… as the coordinator says. */
  readonly state: string;
  readonly protocolType: string;
  readonly members: readonly GroupMember[];
  /** Kafka error the coordinator returned for this group. */
  readonly error: string | null;
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** null: the group never committed on this partition (Kafka answers -1). */
  readonly offset: number | null;
}

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A broker that did not answer a per-broker request; the other brokers' answers still count. */
export interface BrokerFailure {
  readonly nodeId: number;
  readonly error: string;
}

export interface GroupList {
  readonly groups: GroupListing[];
  readonly failures: BrokerFailure[];
}

/** Which end of a partition's log: `end` the high watermark, `start` the first offset still stored. */
export type LogEnd = 'end' | 'start';

export interface LogOffsets {
  readonly offsets: PartitionOffset[];
  /** Leaders that did not answer: their partitions are missing from `offsets`. */
  readonly failures: BrokerFailure[];
}

export interface KafkaAdminClient {
  /** Cluster metadata, cached; `refresh` forces a new Metadata request. */
  metadata(signal: AbortSignal, refresh: boolean): Promise<ClusterMetadata>;
  /** ListGroups on every broker; throws only when none answers. */
  listGroups(signal: AbortSignal): Promise<GroupList>;
  /**
   * Classic groups with DescribeGroups, consumer-protocol (KIP-848) groups with
   * ConsumerGroupDescribe, one request per coordinator; a group whose coordinator fails gets the
   * error. Throws only when aborted.
   */
  describeGroups(groups: readonly GroupListing[], signal: AbortSignal): Promise<Map<string, GroupDescription | Error>>;
  /** Every offset each group committed: one OffsetFetch per coordinator for all its groups. Throws only when aborted. */
  committedOffsets(groupIds: readonly string[], signal: AbortSignal): Promise<Map<string, CommittedOffset[] | Error>>;
  /**
   * Log-end or log-start offsets, one ListOffsets per partition leader of the cached metadata;
   * partitions without a leader are left out. Throws only when no leader answers.
   */
  logOffsets(partitions: ReadonlyMap<string, readonly number[]>, which: LogEnd, signal: AbortSignal): Promise<LogOffsets>;
  /** The TLS sockets of the open broker connections, by broker address: each presents its certificate chain. */
  tlsSockets(): ReadonlyMap<string, TLSSocket>;
  /** Drops every connection; the next call reconnects. Never throws. */
  reset(): Promise<void>;
  close(): Promise<void>;
}
