// The redis probe kind's facts. Metric names follow redis_exporter's (redis_up,
// redis_memory_used_bytes, redis_keyspace_hits_total, redis_master_link_up…) with the vigil_
// prefix; every series has a `target` label. Counters are Redis's own, read from INFO.
import { TLS_CERTIFICATE_METRICS, tlsExpiry } from '../certificates/metadata.ts';
import { counter, gauge } from '../../metrics/family.ts';
import { defineCheck, type CheckDecl, type LadderSpec, type LevelSpec } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';

const T = ['target'] as const;
// Per-server series of a cluster node or of a Sentinel-managed master carry its address and
// shard too; a single server's keep `target` alone.
const MEMBER = ['member', 'shard'] as const;

export const up = gauge('vigil_redis_up', 'Whether the last PING and INFO succeeded (1) or not (0).', T, MEMBER);
export const pingSeconds = gauge('vigil_redis_ping_seconds', 'Round-trip time of the last PING, seconds.', T, MEMBER);
export const instanceInfo = gauge(
  'vigil_redis_instance_info',
  'Server version, mode and role (labels); always 1.',
  ['target', 'redis_version', 'redis_mode', 'role'],
  MEMBER,
);
export const uptime = gauge('vigil_redis_uptime_in_seconds', 'Seconds since the server started.', T, MEMBER);
export const memoryUsed = gauge('vigil_redis_memory_used_bytes', 'used_memory: bytes allocated by Redis.', T, MEMBER);
export const memoryMax = gauge('vigil_redis_memory_max_bytes', 'maxmemory (0: no limit).', T, MEMBER);
export const connectedClients = gauge('vigil_redis_connected_clients', 'Client connections (replicas excluded).', T, MEMBER);
export const maxClients = gauge('vigil_redis_config_maxclients', 'maxclients, as INFO clients reports it.', T, MEMBER);
export const commandsProcessed = counter('vigil_redis_commands_processed_total', 'total_commands_processed.', T, MEMBER);
export const keyspaceHits = counter('vigil_redis_keyspace_hits_total', 'keyspace_hits: successful key lookups.', T, MEMBER);
export const keyspaceMisses = counter('vigil_redis_keyspace_misses_total', 'keyspace_misses: failed key lookups.', T, MEMBER);
export const hitRatio = gauge(
  'vigil_redis_keyspace_hit_ratio',
  'Hits over lookups during the last interval, 0–1; absent when the interval had too few lookups.',
  T,
  MEMBER,
);
export const evictedKeys = counter('vigil_redis_evicted_keys_total', 'evicted_keys: keys removed because of maxmemory.', T, MEMBER);
export const rejectedConnections = counter('vigil_redis_rejected_connections_total', 'rejected_connections: refused because of maxclients.', T, MEMBER);
export const connectedSlaves = gauge('vigil_redis_connected_slaves', 'Replicas connected to this server.', T, MEMBER);
export const masterLinkUp = gauge('vigil_redis_master_link_up', 'On a replica: 1 when master_link_status is up.', T, MEMBER);
export const masterLastIo = gauge(
  'vigil_redis_master_last_io_seconds_ago',
  'On a replica with the link up: seconds since the last interaction with the master.',
  T,
  MEMBER,
);
export const masterLinkDownSince = gauge(
  'vigil_redis_master_link_down_since_seconds',
  'On a replica with the link down: seconds since it went down.',
  T,
  MEMBER,
);
export const rdbLastBgsaveOk = gauge('vigil_redis_rdb_last_bgsave_status', 'rdb_last_bgsave_status: 1 ok, 0 err.', T, MEMBER);
export const rdbLastSave = gauge('vigil_redis_rdb_last_save_timestamp_seconds', 'rdb_last_save_time: Unix time of the last successful RDB save.', T, MEMBER);
export const rdbChanges = gauge('vigil_redis_rdb_changes_since_last_save', 'Writes since the last successful RDB save.', T, MEMBER);
export const aofEnabled = gauge('vigil_redis_aof_enabled', 'Whether append-only file persistence is on.', T, MEMBER);
export const aofLastWriteOk = gauge('vigil_redis_aof_last_write_status', 'aof_last_write_status: 1 ok, 0 err (only when AOF is on).', T, MEMBER);

// Redis Cluster, from CLUSTER INFO and CLUSTER SHARDS (CLUSTER NODES before 7.0) of one node.
const C = ['target', 'member', 'shard'] as const;
export const clusterState = gauge('vigil_redis_cluster_state', 'cluster_state of CLUSTER INFO: 1 ok, 0 fail.', T);
export const clusterSlotsAssigned = gauge('vigil_redis_cluster_slots_assigned', 'cluster_slots_assigned: slots served by some master (of 16384).', T);
export const clusterSlotsOk = gauge('vigil_redis_cluster_slots_ok', 'cluster_slots_ok: slots whose master is not PFAIL or FAIL.', T);
export const clusterSlotsPfail = gauge('vigil_redis_cluster_slots_pfail', 'cluster_slots_pfail: slots whose master is suspected down (PFAIL).', T);
export const clusterSlotsFail = gauge('vigil_redis_cluster_slots_fail', 'cluster_slots_fail: slots whose master is down (FAIL).', T);
export const clusterKnownNodes = gauge('vigil_redis_cluster_known_nodes', 'cluster_known_nodes, masters and replicas.', T);
export const clusterSize = gauge('vigil_redis_cluster_size', 'cluster_size: masters serving at least one slot.', T);
export const clusterNodeInfo = gauge('vigil_redis_cluster_node_info', 'One per node the cluster knows: role and node id (labels); always 1.', [
  ...C,
  'role',
  'node_id',
]);
export const clusterNodeHealthy = gauge(
  'vigil_redis_cluster_node_healthy',
  'Node health as the cluster sees it: 1 online, 0 failed, loading or flagged fail/pfail.',
  C,
);
export const clusterNodeLinkUp = gauge('vigil_redis_cluster_node_link_up', 'Cluster bus link to the node from the node asked: 1 connected.', C);
export const clusterNodeReplicationOffset = gauge(
  'vigil_redis_cluster_node_replication_offset',
  'replication-offset of the node in CLUSTER SHARDS (Redis 7.0 and later).',
  C,
);
export const clusterMasterReplicas = gauge('vigil_redis_cluster_master_healthy_replicas', 'Healthy replicas of each master serving slots.', C);
export const clusterMembers = gauge('vigil_redis_cluster_members_probed', 'Nodes probed as members (at most the documented cap).', T);

// Redis Sentinel, from SENTINEL MASTER, CKQUORUM and REPLICAS of the sentinels configured.
const S = ['target', 'sentinel'] as const;
export const sentinelUp = gauge('vigil_redis_sentinel_up', 'Whether the sentinel answered SENTINEL MASTER (1) or not (0).', S);
export const sentinelQuorumOk = gauge('vigil_redis_sentinel_quorum_ok', 'SENTINEL CKQUORUM: 1 when enough sentinels are reachable to authorise a failover.', T);
export const sentinelMasterInfo = gauge('vigil_redis_sentinel_master_info', 'The current master address as the sentinels report it (label); always 1.', [
  'target',
  'master_name',
  'master',
]);
export const sentinelSdown = gauge('vigil_redis_sentinel_master_sdown', 'The master has the s_down flag (subjectively down for the sentinel asked).', T);
export const sentinelOdown = gauge('vigil_redis_sentinel_master_odown', 'The master has the o_down flag (a quorum of sentinels agree it is down).', T);
export const sentinelFailover = gauge('vigil_redis_sentinel_failover_in_progress', 'A failover of the master is in progress.', T);
export const sentinelsSeen = gauge('vigil_redis_sentinel_sentinels', 'Sentinels monitoring the master, the one asked included (num-other-sentinels + 1).', T);
export const sentinelQuorum = gauge('vigil_redis_sentinel_quorum', 'Configured quorum of the master.', T);
export const sentinelReplicas = gauge('vigil_redis_sentinel_replicas', 'Replicas of the master the sentinel knows, and how many are not down.', [
  'target',
  'state',
]);

const REDIS_METRICS = [
  up,
  pingSeconds,
  instanceInfo,
  uptime,
  memoryUsed,
  memoryMax,
  connectedClients,
  maxClients,
  commandsProcessed,
  keyspaceHits,
  keyspaceMisses,
  hitRatio,
  evictedKeys,
  rejectedConnections,
  connectedSlaves,
  masterLinkUp,
  masterLastIo,
  masterLinkDownSince,
  rdbLastBgsaveOk,
  rdbLastSave,
  rdbChanges,
  aofEnabled,
  aofLastWriteOk,
  clusterState,
  clusterSlotsAssigned,
  clusterSlotsOk,
  clusterSlotsPfail,
  clusterSlotsFail,
  clusterKnownNodes,
  clusterSize,
  clusterNodeInfo,
  clusterNodeHealthy,
  clusterNodeLinkUp,
  clusterNodeReplicationOffset,
  clusterMasterReplicas,
  clusterMembers,
  sentinelUp,
  sentinelQuorumOk,
  sentinelMasterInfo,
  sentinelSdown,
  sentinelOdown,
  sentinelFailover,
  sentinelsSeen,
  sentinelQuorum,
  sentinelReplicas,
] as const;

/** Targets for sidecars, without a config file. */
export const URL_ENV = 'VIGIL_REDIS_URL';

type Facts = Omit<CheckDecl, 'id' | 'componentType' | 'component'> & { readonly component?: string };

function check(id: string, facts: Facts): CheckDecl {
  return defineCheck({ id: `redis:${id}`, componentType: 'datastore', component: 'each Redis target', ...facts });
}

/** A `thresholds.<key>` ladder; a target's own levels replace the section's, key by key. */
function thresholds(
  key: string,
  values: LadderSpec['values'],
  measures: string,
  levels: readonly LevelSpec[],
  direction: LadderSpec['direction'] = 'above',
): LadderSpec {
  return { config: `thresholds.${key}`, direction, values, measures, levels };
}

// Playbook names from the runbooks: Athena's "Redis Issues" and "Backup Verification", ALECS's
// "Cache Performance Problems". Runbooks: memory 80 % / 90 % (AENEAS and ALECS monitoring
// tables); "Cache Hit Rate < 70 % warning, < 50 % critical" (AENEAS, ALECS), cache misses a
// minor issue (Athena P3); "Redis: Every 2 hours" backups (Athena).
export const reachable = check('reachable', {
  unit: 'ms',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  description: '`PING` round trip, ms; fails when unreachable, on a wrong password or a timeout',
});
export const memory = check('memory', {
  unit: 'percent',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  description: '% of `maxmemory` used (not evaluated without `maxmemory`)',
  ladder: thresholds('memory', 'percent', 'used_memory over maxmemory, percent (only when maxmemory is set)', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 80 },
    { key: 'fail', status: 'fail', severity: 'SEV2', default: 90 },
  ]),
});
export const clients = check('clients', {
  unit: 'percent',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  description: '% of `maxclients` connected',
  ladder: thresholds('clients', 'percent', 'connected_clients over maxclients, percent', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 80 },
    { key: 'fail', status: 'fail', severity: 'SEV2', default: 90 },
  ]),
});
export const hitRatioCheck = check('hit_ratio', {
  unit: 'percent',
  playbook: 'Cache Performance Problems',
  failSeverity: 'SEV3',
  description: '% of keyspace lookups that hit **during the last interval** (counter deltas), evaluated from `hit_ratio_min_lookups` lookups (default 100)',
  ladder: thresholds(
    'hit_ratio',
    'percent',
    'Keyspace hits over lookups in the last interval, percent',
    [
      { key: 'warn', status: 'warn', severity: 'SEV4', default: 70 },
      { key: 'fail', status: 'fail', severity: 'SEV3', default: 50 },
    ],
    'below',
  ),
});
export const evicted = check('evicted_keys', {
  unit: 'keys',
  playbook: 'Cache Performance Problems',
  failSeverity: 'SEV3',
  description: 'keys evicted during the last interval',
  ladder: thresholds('evicted_keys', 'non-negative', 'Keys evicted in the last interval', [
    { key: 'warn', status: 'warn', severity: 'SEV4' },
    { key: 'fail', status: 'fail', severity: 'SEV3' },
  ]),
});
// A rejected connection means maxclients was reached: some client got an error.
export const rejected = check('rejected_connections', {
  unit: 'connections',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  description: 'connections refused (maxclients) during the last interval',
  ladder: thresholds('rejected_connections', 'non-negative', 'Connections rejected (maxclients reached) in the last interval', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 1 },
    { key: 'fail', status: 'fail', severity: 'SEV2' },
  ]),
});
export const replication = check('replication', {
  component: 'a replica target',
  unit: 's',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  description: 'link age, s (last I/O, or down since); fails while `master_link_status` is down',
});
export const rdbBgsave = check('rdb_bgsave', {
  unit: 'boolean',
  playbook: 'Backup Verification',
  failSeverity: 'SEV2',
  description: 'fails when `rdb_last_bgsave_status` is `err`',
});
// One missed 2-hourly backup plus an hour of slack.
export const rdbSaveAge = check('rdb_save_age', {
  unit: 's',
  playbook: 'Backup Verification',
  failSeverity: 'SEV3',
  description: 's since the last successful save, judged while changes are unsaved',
  ladder: thresholds('rdb_last_save_age', 'non-negative', 'Seconds since the last successful RDB save, while there are unsaved changes', [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 3 * 3600 },
    { key: 'fail', status: 'fail', severity: 'SEV2' },
  ]),
});
export const aof = check('aof', {
  component: 'a target with AOF on',
  unit: 'boolean',
  playbook: 'Backup Verification',
  failSeverity: 'SEV2',
  description: 'fails when the last AOF write or rewrite failed',
});

// Cluster and Sentinel: Athena's "Redis Issues"; a cluster that lost slots loses writes (SEV2),
// a suspected node or a master without a spare is a risk still served (SEV3).
export const clusterStateCheck = check('cluster_state', {
  component: 'a cluster target',
  unit: 'slots',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  severities: ['SEV2', 'SEV3'],
  description: 'CLUSTER INFO of a reachable node: slots not ok',
  judgedBy: 'fail on `cluster_state:fail` or any slot FAIL; warn on PFAIL slots or fewer than 16384 slots assigned',
});
export const clusterReplicasCheck = check('cluster_replicas', {
  component: 'each master of a cluster target',
  unit: 'replicas',
  playbook: 'Redis Issues',
  failSeverity: 'SEV3',
  severities: ['SEV3'],
  description: 'healthy replicas of a master serving slots',
  judgedBy: 'warn when a master has no healthy replica',
});
export const sentinelQuorumCheck = check('sentinel_quorum', {
  component: 'a sentinel target',
  unit: 'sentinels',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  description: '`SENTINEL CKQUORUM`: sentinels reachable to authorise a failover',
  judgedBy: 'fail when CKQUORUM fails or no sentinel answers',
});
export const sentinelMasterCheck = check('sentinel_master', {
  component: 'a sentinel target',
  unit: 'flags',
  playbook: 'Redis Issues',
  failSeverity: 'SEV2',
  severities: ['SEV2', 'SEV3'],
  description: '`SENTINEL MASTER` flags of the monitored master',
  judgedBy: 'fail on `o_down`, warn on `s_down` or a failover in progress',
});

export const REDIS = defineMetadata({
  key: 'redis',
  description:
    'Redis servers, Redis Cluster nodes and Sentinel-managed masters: PING latency, memory, clients, hit ratio, evictions, replication link, persistence, cluster slots, sentinel quorum (one persistent connection per node)',
  env: [{ name: URL_ENV, help: 'Redis targets, comma-separated redis:// or rediss:// URLs (each named host:port)' }],
  // With TLS, each server's certificate chain is reported as tls:expiry (redis/<target>, redis/<target>/<member>).
  metrics: [...REDIS_METRICS, ...TLS_CERTIFICATE_METRICS],
  checks: [
    tlsExpiry,
    reachable,
    memory,
    clients,
    hitRatioCheck,
    evicted,
    rejected,
    replication,
    rdbBgsave,
    rdbSaveAge,
    aof,
    clusterStateCheck,
    clusterReplicasCheck,
    sentinelQuorumCheck,
    sentinelMasterCheck,
  ],
});
