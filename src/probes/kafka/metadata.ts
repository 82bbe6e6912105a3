// The kafka probe kind's facts. Metric names follow kafka_exporter's (kafka_brokers,
// kafka_consumergroup_lag…) with the vigil_ prefix; `group` instead of its `consumergroup` label,
// and a `cluster` label (the target's name) on every series, since one agent may watch several.
import { gauge } from '../../metrics/family.ts';
import { defineCheck } from '../../checks/types.ts';
import { TLS_CERTIFICATE_METRICS, tlsExpiry } from '../certificates/metadata.ts';
import { defineMetadata } from '../kind.ts';

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
export const groupStatus = gauge('vigil_kafka_consumergroup_status', 'Consumer status over the window: 0 OK, 1 WARN, 2 REWIND, 3 STALL, 4 STOP, 5 ERR.', G);
export const lagSum = gauge('vigil_kafka_consumergroup_lag_sum', 'Sum of the lag (messages) over the committed partitions of the group.', G);
export const lagMax = gauge('vigil_kafka_consumergroup_lag_max', 'Largest partition lag (messages) of the group.', G);
export const lagSeconds = gauge(
  'vigil_kafka_consumergroup_lag_seconds',
  'Age of the oldest unconsumed message of the group (interpolated from log-end offset history).',
  G,
);
export const lagSecondsLowerBound = gauge(
  'vigil_kafka_consumergroup_lag_seconds_lower_bound',
  'Whether vigil_kafka_consumergroup_lag_seconds is only a lower bound (1): the committed offset predates the offset history.',
  G,
);
export const uncommitted = gauge(
  'vigil_kafka_consumergroup_uncommitted_partitions',
  'Partitions of the consumed topics on which the group never committed.',
  G,
);
export const lostMessages = gauge(
  'vigil_kafka_consumergroup_lost_messages',
  'Messages deleted (retention, delete-records) before the group consumed them: sum over its partitions of log-start offset minus committed offset, where positive.',
  G,
);
export const topicLagSum = gauge('vigil_kafka_consumergroup_topic_lag_sum', 'Sum of the lag (messages) of the group on one topic.', GT);
export const partitionLag = gauge('vigil_kafka_consumergroup_lag', 'Lag (messages) of the group on a partition: log-end offset minus committed offset.', GTP);
export const partitionCommitted = gauge('vigil_kafka_consumergroup_current_offset', 'Committed offset of the group on a partition.', GTP);
export const partitionEnd = gauge('vigil_kafka_topic_partition_current_offset', 'Log-end offset (high watermark) of a partition the watched groups consume.', [
  'cluster',
  'topic',
  'partition',
]);

const KAFKA_METRICS = [
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
  lostMessages,
  topicLagSum,
  partitionLag,
  partitionCommitted,
  partitionEnd,
] as const;

/** ONE cluster for sidecars: its bootstrap brokers, comma-separated (`;` between clusters). */
export const BROKERS_ENV = 'VIGIL_KAFKA_BROKERS';

const cluster = { componentType: 'datastore', component: '`<cluster>`' } as const;
const group = { componentType: 'component', component: '`<cluster>/<group>`', playbook: 'Severe Performance Degradation' } as const;

// Playbooks from runbook 004 section 3: the cluster being unreachable is a data service down
// ("Database Down": check the statefulset, storage, failover); lag and stuck consumers are
// "Severe Performance Degradation" ("queue depth rising … examine Kafka lag").
export const clusterCheck = defineCheck({
  ...cluster,
  id: 'kafka:cluster',
  unit: 'brokers',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: 'brokers in the metadata; fails when unreachable or without an active controller, warns when one broker does not answer',
  severities: ['SEV2', 'SEV3'],
});

export const partitionsCheck = defineCheck({
  ...cluster,
  id: 'kafka:partitions',
  unit: 'partitions',
  playbook: 'Database Down',
  failSeverity: 'SEV2',
  description: 'offline partitions (fail), else under-replicated ones (warn)',
  judgedBy: 'fail > 0 offline, warn > 0 under-replicated',
  severities: ['SEV2', 'SEV3'],
});

// Runbook 003 "Signal Processing Lag" 30 s / 60 s; runbook 004: consumer lag < 60 s.
export const lagSecondsCheck = defineCheck({
  ...group,
  id: 'kafka:consumer_lag_seconds',
  unit: 's',
  failSeverity: 'SEV2',
  description: 'age of the oldest unconsumed message (see [Kafka consumer lag](#kafka-consumer-lag))',
  ladder: {
    config: 'lag_seconds_thresholds',
    direction: 'above',
    values: 'non-negative',
    measures: 'Group lag in seconds',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 30 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 60 },
    ],
  },
});

// Runbook 004: queue depth < 1000 messages. No fail level unless configured.
export const lagMessagesCheck = defineCheck({
  ...group,
  id: 'kafka:consumer_lag',
  unit: 'messages',
  failSeverity: 'SEV2',
  description: 'messages behind, summed over the committed partitions',
  ladder: {
    config: 'lag_messages_thresholds',
    direction: 'above',
    values: 'non-negative',
    measures: 'Group lag in messages (sum over partitions)',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 1000 },
      { key: 'fail', status: 'fail', severity: 'SEV2' },
    ],
  },
});

export const statusCheck = defineCheck({
  ...group,
  id: 'kafka:consumer_status',
  unit: 'status',
  failSeverity: 'SEV2',
  description: 'Burrow-style status over a window: OK, WARN (falling behind), REWIND, STALL, STOP, ERR; classic and KIP-848 groups',
  judgedBy: 'WARN/REWIND warn, STALL/STOP/ERR fail',
  severities: ['SEV3', 'SEV2'],
});

// Messages the group will never read: retention (or delete-records) removed them first, usually
// because the lag outgrew the retention (hence the lag playbook). Failing at the first message:
// unlike lag, the loss does not heal by itself. SEV2: one group's data is incomplete, the service
// runs (runbook 004 keeps Sev1 for a complete outage).
export const dataLossCheck = defineCheck({
  ...group,
  id: 'kafka:consumer_data_loss',
  unit: 'messages',
  failSeverity: 'SEV2',
  description: 'messages deleted before the group consumed them (committed offset below the log start), summed over its partitions',
  judgedBy: 'fail > 0 messages lost',
});

export const KAFKA = defineMetadata({
  key: 'kafka',
  description: 'Kafka clusters: brokers, controller, partition health, and consumer group lag in messages and seconds with Burrow-style status',
  env: [{ name: BROKERS_ENV, help: 'ONE Kafka cluster: its bootstrap brokers, comma-separated host:port (`;` between clusters)' }],
  // With TLS, each broker's certificate chain is reported as tls:expiry (kafka/<target>/<broker>).
  metrics: [...KAFKA_METRICS, ...TLS_CERTIFICATE_METRICS],
  checks: [clusterCheck, partitionsCheck, lagSecondsCheck, lagMessagesCheck, statusCheck, dataLossCheck, tlsExpiry],
});

/** Unset per_partition_metrics: per-partition series while groups × their partitions ≤ this (≈ 3 series each). */
export const PER_PARTITION_AUTO_MAX = 500;
