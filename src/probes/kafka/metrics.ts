// Metric and check declarations of the Kafka probe. Names follow kafka_exporter's (kafka_brokers,
// kafka_consumergroup_lag…) with the vigil_ prefix; `group` instead of its `consumergroup` label,
// and a `cluster` label (the target's name) on every series, since one agent may watch several.
import { gauge } from '../../metrics/family.ts';
import type { CheckDecl } from '../types.ts';

const C = ['cluster'] as const;
const G = ['cluster', 'group'] as const;
const GT = ['cluster', 'group', 'topic'] as const;
const GTP = ['cluster', 'group', 'topic', 'partition'] as const;

export const brokers = gauge('vigil_kafka_brokers', 'Brokers in the cluster metadata.', C);
export const controller = gauge('vigil_kafka_controller_present', 'Whether the cluster metadata names an active controller (1) or not (0).', C);
export const topics = gauge('vigil_kafka_topics', 'Topics in the cluster (internal ones included).', C);
export const partitions = gauge('vigil_kafka_partitions', 'Partitions in the cluster (internal topics included).', C);
export const underReplicated = gauge('vigil_kafka_under_replicated_partitions', 'Partitions whose in-sync replicas are fewer than their replicas.', C);
export const offline = gauge('vigil_kafka_offline_partitions', 'Partitions without a leader.', C);
export const groupsWatched = gauge('vigil_kafka_consumergroups', 'Consumer groups watched (after the include/exclude patterns).', C);

export const groupMembers = gauge('vigil_kafka_consumergroup_members', 'Members of the consumer group.', G);
export const groupState = gauge('vigil_kafka_consumergroup_state', 'The group state the coordinator reports (1 for the current state).', [...G, 'state']);
export const groupStatus = gauge(
  'vigil_kafka_consumergroup_status',
  'Consumer status over the window: 0 OK, 1 WARN, 2 REWIND, 3 STALL, 4 STOP, 5 ERR, -1 not evaluated (group protocol not supported).',
  G,
);
export const lagSum = gauge('vigil_kafka_consumergroup_lag_sum', 'Sum of the lag (messages) over the committed partitions of the group.', G);
export const lagMax = gauge('vigil_kafka_consumergroup_lag_max', 'Largest partition lag (messages) of the group.', G);
export const lagSeconds = gauge('vigil_kafka_consumergroup_lag_seconds', 'Age of the oldest unconsumed message of the group (interpolated from log-end offset history).', G);
export const lagSecondsLowerBound = gauge(
  'vigil_kafka_consumergroup_lag_seconds_lower_bound',
  'Whether vigil_kafka_consumergroup_lag_seconds is only a lower bound (1): the committed offset predates the offset history.',
  G,
);
export const uncommitted = gauge('vigil_kafka_consumergroup_uncommitted_partitions', 'Partitions of the consumed topics on which the group never committed.', G);
export const topicLagSum = gauge('vigil_kafka_consumergroup_topic_lag_sum', 'Sum of the lag (messages) of the group on one topic.', GT);
export const partitionLag = gauge('vigil_kafka_consumergroup_lag', 'Lag (messages) of the group on a partition: log-end offset minus committed offset.', GTP);
export const partitionCommitted = gauge('vigil_kafka_consumergroup_current_offset', 'Committed offset of the group on a partition.', GTP);
export const partitionEnd = gauge('vigil_kafka_topic_partition_current_offset', 'Log-end offset (high watermark) of a partition the watched groups consume.', ['cluster', 'topic', 'partition']);

export const KAFKA_METRICS = [
  brokers,
  controller,
  topics,
  partitions,
  underReplicated,
  offline,
  groupsWatched,
  groupMembers,
  groupState,
  groupStatus,
  lagSum,
  lagMax,
  lagSeconds,
  lagSecondsLowerBound,
  uncommitted,
  topicLagSum,
  partitionLag,
  partitionCommitted,
  partitionEnd,
] as const;

// Playbooks from runbook 004 section 3: the cluster being unreachable is a data service down
// ("Database Down": check the statefulset, storage, failover); lag and stuck consumers are
// "Severe Performance Degradation" ("queue depth rising … examine Kafka lag").
export const clusterCheck: CheckDecl = Object.freeze({
  id: 'kafka:cluster',
  componentType: 'datastore',
  unit: 'brokers',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: 'The cluster answers, lists its brokers and has an active controller',
});

export const partitionsCheck: CheckDecl = Object.freeze({
  id: 'kafka:partitions',
  componentType: 'datastore',
  unit: 'partitions',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: 'Partitions without a leader (fail) or with fewer in-sync replicas than replicas (warn)',
});

export const lagSecondsCheck: CheckDecl = Object.freeze({
  id: 'kafka:consumer_lag_seconds',
  componentType: 'component',
  unit: 's',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV2',
  description: 'Age of the oldest message the consumer group has not consumed yet',
});

export const lagMessagesCheck: CheckDecl = Object.freeze({
  id: 'kafka:consumer_lag',
  componentType: 'component',
  unit: 'messages',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV2',
  description: 'Messages the consumer group has not consumed yet (sum over its partitions)',
});

export const statusCheck: CheckDecl = Object.freeze({
  id: 'kafka:consumer_status',
  componentType: 'component',
  unit: 'status',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV2',
  description: 'Burrow-style consumer status over a window: OK, WARN (falling behind), REWIND, STALL, STOP, ERR',
});

export const KAFKA_CHECKS = [clusterCheck, partitionsCheck, lagSecondsCheck, lagMessagesCheck, statusCheck] as const;
