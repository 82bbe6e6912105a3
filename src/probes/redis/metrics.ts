// Metric and check declarations of the redis probe. Names follow redis_exporter's (redis_up,
// redis_memory_used_bytes, redis_keyspace_hits_total, redis_master_link_up…) with the vigil_
// prefix; every series has a `target` label. Counters are Redis's own, read from INFO.
import { counter, gauge } from '../../metrics/family.ts';
import type { CheckDecl } from '../types.ts';

const T = ['target'] as const;

export const up = gauge('vigil_redis_up', 'Whether the last PING and INFO succeeded (1) or not (0).', T);
export const pingSeconds = gauge('vigil_redis_ping_seconds', 'Round-trip time of the last PING, seconds.', T);
export const instanceInfo = gauge('vigil_redis_instance_info', 'Server version, mode and role (labels); always 1.', ['target', 'redis_version', 'redis_mode', 'role']);
export const uptime = gauge('vigil_redis_uptime_in_seconds', 'Seconds since the server started.', T);
export const memoryUsed = gauge('vigil_redis_memory_used_bytes', 'used_memory: bytes allocated by Redis.', T);
export const memoryMax = gauge('vigil_redis_memory_max_bytes', 'maxmemory (0: no limit).', T);
export const connectedClients = gauge('vigil_redis_connected_clients', 'Client connections (replicas excluded).', T);
export const maxClients = gauge('vigil_redis_config_maxclients', 'maxclients, as INFO clients reports it.', T);
export const commandsProcessed = counter('vigil_redis_commands_processed_total', 'total_commands_processed.', T);
export const keyspaceHits = counter('vigil_redis_keyspace_hits_total', 'keyspace_hits: successful key lookups.', T);
export const keyspaceMisses = counter('vigil_redis_keyspace_misses_total', 'keyspace_misses: failed key lookups.', T);
export const hitRatio = gauge(
  'vigil_redis_keyspace_hit_ratio',
  'Hits over lookups during the last interval, 0–1; absent when the interval had too few lookups.',
  T,
);
export const evictedKeys = counter('vigil_redis_evicted_keys_total', 'evicted_keys: keys removed because of maxmemory.', T);
export const rejectedConnections = counter('vigil_redis_rejected_connections_total', 'rejected_connections: refused because of maxclients.', T);
export const connectedSlaves = gauge('vigil_redis_connected_slaves', 'Replicas connected to this server.', T);
export const masterLinkUp = gauge('vigil_redis_master_link_up', 'On a replica: 1 when master_link_status is up.', T);
export const masterLastIo = gauge('vigil_redis_master_last_io_seconds_ago', 'On a replica with the link up: seconds since the last interaction with the master.', T);
export const masterLinkDownSince = gauge('vigil_redis_master_link_down_since_seconds', 'On a replica with the link down: seconds since it went down.', T);
export const rdbLastBgsaveOk = gauge('vigil_redis_rdb_last_bgsave_status', 'rdb_last_bgsave_status: 1 ok, 0 err.', T);
export const rdbLastSave = gauge('vigil_redis_rdb_last_save_timestamp_seconds', 'rdb_last_save_time: Unix time of the last successful RDB save.', T);
export const rdbChanges = gauge('vigil_redis_rdb_changes_since_last_save', 'Writes since the last successful RDB save.', T);
export const aofEnabled = gauge('vigil_redis_aof_enabled', 'Whether append-only file persistence is on.', T);
export const aofLastWriteOk = gauge('vigil_redis_aof_last_write_status', 'aof_last_write_status: 1 ok, 0 err (only when AOF is on).', T);

export const REDIS_METRICS = [
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
] as const;

function check(id: string, unit: string, playbook: string, failSeverity: CheckDecl['failSeverity'], description: string): CheckDecl {
  return Object.freeze({ id: `redis:${id}`, componentType: 'datastore', unit, playbook, failSeverity, description });
}

// Playbook names from the runbooks: Athena's "Redis Issues" and "Backup Verification", ALECS's
// "Cache Performance Problems".
export const reachable = check('reachable', 'ms', 'Redis Issues', 'SEV2', 'The server answers PING over the persistent connection; observedValue is the round trip in ms');
export const memory = check('memory', 'percent', 'Redis Issues', 'SEV2', 'used_memory over maxmemory (only evaluated when maxmemory is set)');
export const clients = check('clients', 'percent', 'Redis Issues', 'SEV2', 'connected_clients over maxclients');
export const hitRatioCheck = check('hit_ratio', 'percent', 'Cache Performance Problems', 'SEV3', 'Keyspace hits over lookups in the last interval (counter deltas)');
export const evicted = check('evicted_keys', 'keys', 'Cache Performance Problems', 'SEV3', 'Keys evicted (maxmemory reached) in the last interval');
export const rejected = check('rejected_connections', 'connections', 'Redis Issues', 'SEV2', 'Connections rejected (maxclients reached) in the last interval');
export const replication = check('replication', 's', 'Redis Issues', 'SEV2', 'On a replica: the link to the master is up; observedValue is the link age in s (last I/O, or down since)');
export const rdbBgsave = check('rdb_bgsave', 'boolean', 'Backup Verification', 'SEV2', 'The last background RDB save succeeded (rdb_last_bgsave_status)');
export const rdbSaveAge = check('rdb_save_age', 's', 'Backup Verification', 'SEV3', 'Seconds since the last successful RDB save, evaluated while there are unsaved changes');
export const aof = check('aof', 'boolean', 'Backup Verification', 'SEV2', 'With AOF on: the last AOF write and rewrite succeeded');

export const REDIS_CHECKS = [reachable, memory, clients, hitRatioCheck, evicted, rejected, replication, rdbBgsave, rdbSaveAge, aof] as const;
