// The narrow, read-only view of a Kafka cluster the probe needs. kafkajs is in maintenance mode;
// keeping it behind `KafkaAdminClient` lets another client library replace it without touching
// the probe (the kafkajs implementation is kafkajs-client.ts).

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
  /** Kafka error the coordinator returned for this group (e.g. a KIP-848 group on DescribeGroups v≤5). */
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

export interface EndOffsets {
  readonly offsets: PartitionOffset[];
  /** Leaders that did not answer: their partitions are missing from `offsets`. */
  readonly failures: BrokerFailure[];
}

export interface KafkaAdminClient {
  /** Cluster metadata, cached; `refresh` forces a new Metadata request. */
  metadata(signal: AbortSignal, refresh: boolean): Promise<ClusterMetadata>;
  /** ListGroups on every broker; throws only when none answers. */
  listGroups(signal: AbortSignal): Promise<GroupList>;
  describeGroups(groupIds: readonly string[], signal: AbortSignal): Promise<GroupDescription[]>;
  /** Every offset the group committed, in one OffsetFetch to its coordinator. */
  committedOffsets(groupId: string, signal: AbortSignal): Promise<CommittedOffset[]>;
  /**
   * Log-end offsets (high watermarks), one ListOffsets per partition leader of the cached
   * metadata; partitions without a leader are left out. Throws only when no leader answers.
   */
  logEndOffsets(partitions: ReadonlyMap<string, readonly number[]>, signal: AbortSignal): Promise<EndOffsets>;
  /** Drops every connection; the next call reconnects. Never throws. */
  reset(): Promise<void>;
  close(): Promise<void>;
}
