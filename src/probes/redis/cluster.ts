// What one node says of its Redis Cluster: CLUSTER INFO (state, slots, known nodes, size),
// CLUSTER NODES (every node's address, role, flags, link, slots) and, from Redis 7.0,
// CLUSTER SHARDS (health and replication offset), turned into samples and the two cluster checks.
import type { Collection } from '../types.ts';
import type { Info } from './client.ts';
import { num } from './client.ts';
import { addressText } from './address.ts';
import * as m from './metadata.ts';

export const CLUSTER_SLOTS = 16384;

export interface ClusterNode {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** The master's id, for a replica. */
  readonly masterId: string | undefined;
  readonly flags: readonly string[];
  readonly linkUp: boolean;
  /** Slot ranges served (masters), e.g. `0-5460`. */
  readonly slots: readonly string[];
  /** CLUSTER SHARDS `health` (online, failed, loading); absent before Redis 7.0. */
  health: string | undefined;
  /** CLUSTER SHARDS `replication-offset`; absent before Redis 7.0. */
  offset: number | undefined;
  /** The shard label: the shard id (Redis 7.2), else its master's slot ranges, else its master's address. */
  shard: string;
}

/**
 * CLUSTER NODES: `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`.
 * Nodes without an address yet (handshake, noaddr) are left out: there is nothing to connect to.
 */
export function parseClusterNodes(text: string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8) continue;
    const [id, addr, flagText, master, , , , link, ...slots] = f as [string, string, string, string, string, string, string, string, ...string[]];
    const flags = flagText.split(',');
    if (flags.includes('handshake') || flags.includes('noaddr')) continue;
    const hostPort = addr.split('@')[0] ?? '';
    const colon = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(hostPort.slice(colon + 1));
    if (!host || !Number.isInteger(port) || port <= 0) continue;
    out.push({
      id,
      host,
      port,
      address: addressText({ host, port }),
      role: flags.includes('master') ? 'master' : 'replica',
      masterId: master === '-' ? undefined : master,
      flags,
      linkUp: link === 'connected',
      // Slot migrations ([slot->-id]) are not slots served.
      slots: slots.filter((s) => /^\d+(-\d+)?$/.test(s)),
      health: undefined,
      offset: undefined,
      shard: '',
    });
  }
  return out;
}

/** A RESP2 flat `[key, value, key, value…]` array as a map. */
export function pairs(reply: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out.set(String(reply[i]), reply[i + 1]);
  return out;
}

/** Adds CLUSTER SHARDS' health, offset and shard id (7.2) to the nodes; labels every node's shard. */
export function labelShards(nodes: ClusterNode[], shardsReply: unknown): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const shardIds = new Map<string, string>();
  if (Array.isArray(shardsReply)) {
    for (const shard of shardsReply) {
      const s = pairs(shard);
      const members = Array.isArray(s.get('nodes')) ? (s.get('nodes') as unknown[]) : [];
      for (const entry of members) {
        const e = pairs(entry);
        const node = byId.get(String(e.get('id')));
        if (!node) continue;
        node.health = e.has('health') ? String(e.get('health')) : undefined;
        const offset = Number(e.get('replication-offset'));
        node.offset = Number.isFinite(offset) ? offset : undefined;
        if (s.has('id')) shardIds.set(node.id, String(s.get('id')));
      }
    }
  }
  for (const node of nodes) {
    const master = node.role === 'master' ? node : byId.get(node.masterId ?? '');
    node.shard = shardIds.get(node.id) ?? (master?.slots.length ? master.slots.join(',') : (master ?? node).address);
  }
}

/**
 * Healthy as the asked node sees it: not flagged fail or pfail (fail?), and not failed in CLUSTER
 * SHARDS. Its `loading` is not counted against a node: Redis says it of every replica whose
 * offset is still 0, a replica of a master that has had no write yet.
 */
export function healthy(node: ClusterNode): boolean {
  if (node.flags.includes('fail') || node.flags.includes('fail?')) return false;
  return node.health !== 'failed' && node.health !== 'fail';
}

/** Samples and checks of the cluster as `source` sees it; `componentId` is the target's. */
export function reportCluster(target: string, source: string, clusterInfo: Info, nodes: readonly ClusterNode[], out: Collection): void {
  const labels = { target };
  const state = clusterInfo.get('cluster_state') ?? 'unknown';
  const figure = (key: string) => num(clusterInfo, key) ?? 0;
  const assigned = figure('cluster_slots_assigned');
  const pfail = figure('cluster_slots_pfail');
  const fail = figure('cluster_slots_fail');
  out.samples.push({ metric: m.clusterState, labels, value: state === 'ok' ? 1 : 0 });
  const gauges: [typeof m.up, string][] = [
    [m.clusterSlotsAssigned, 'cluster_slots_assigned'],
    [m.clusterSlotsOk, 'cluster_slots_ok'],
    [m.clusterSlotsPfail, 'cluster_slots_pfail'],
    [m.clusterSlotsFail, 'cluster_slots_fail'],
    [m.clusterKnownNodes, 'cluster_known_nodes'],
    [m.clusterSize, 'cluster_size'],
  ];
  for (const [metric, key] of gauges) {
    const value = num(clusterInfo, key);
    if (value !== undefined) out.samples.push({ metric, labels, value });
  }
  const unassigned = CLUSTER_SLOTS - assigned;
  const output = `cluster_state ${state}, ${assigned} of ${CLUSTER_SLOTS} slots assigned, ${pfail} pfail, ${fail} fail, ${figure('cluster_known_nodes')} nodes, size ${figure('cluster_size')} (as ${source} sees it)`;
  // A failed slot's keys cannot be served; a suspected master or a hole in the slot map is a risk still served.
  const status = state !== 'ok' || fail > 0 ? 'fail' : pfail > 0 || unassigned > 0 ? 'warn' : 'pass';
  out.checks.push({
    check: m.clusterStateCheck,
    componentId: target,
    observedValue: fail + pfail + unassigned,
    status,
    ...(status === 'warn' ? { severity: 'SEV3' as const } : {}),
    output,
  });

  for (const node of nodes) {
    const l = { target, member: node.address, shard: node.shard };
    out.samples.push(
      { metric: m.clusterNodeInfo, labels: { ...l, role: node.role, node_id: node.id }, value: 1 },
      { metric: m.clusterNodeHealthy, labels: l, value: healthy(node) ? 1 : 0 },
      // The asked node has no bus link to itself.
      { metric: m.clusterNodeLinkUp, labels: l, value: node.linkUp || node.flags.includes('myself') ? 1 : 0 },
    );
    if (node.offset !== undefined) out.samples.push({ metric: m.clusterNodeReplicationOffset, labels: l, value: node.offset });
  }
  for (const master of nodes) {
    if (master.role !== 'master' || master.slots.length === 0) continue;
    const replicas = nodes.filter((n) => n.masterId === master.id);
    const good = replicas.filter(healthy).length;
    out.samples.push({ metric: m.clusterMasterReplicas, labels: { target, member: master.address, shard: master.shard }, value: good });
    out.checks.push({
      check: m.clusterReplicasCheck,
      componentId: `${target}/${master.address}`,
      observedValue: good,
      status: good > 0 ? 'pass' : 'warn',
      ...(good > 0 ? {} : { severity: 'SEV3' as const }),
      output: `master of slots ${master.slots.join(',')}: ${good} healthy of ${replicas.length} replicas${good > 0 ? '' : ': no failover possible'}`,
    });
  }
}
