// One Redis server as the probe sees it: one persistent connection, one PING and one INFO per
// run, and what they say (memory, clients, the hit ratio of the last interval, evictions,
// rejected connections, replication link, persistence). A single-server target is one member
// labelled by its target; a cluster node or a Sentinel-managed master is one more, labelled by
// its address and shard too. Works where CONFIG is disabled (managed Redis): every setting needed
// (maxmemory, maxclients) is read from INFO.
import { TLSSocket } from 'node:tls';
import { peerChain, reportChain, type PresentedChain } from '../certificates/peer.ts';
import type { Redis } from 'ioredis';
import { emptyCollection, type Collection } from '../types.ts';
import { PersistentConnection } from '../connection.ts';
import type { RedisOptions } from './config.ts';
import { info as readInfo, num, ping, redisConnector, type Info, type RedisEndpoint } from './client.ts';
import * as m from './metadata.ts';
import { judgePercent, judgeValue } from '../../checks/judge.ts';
import { formatBytes, reason, round2 } from '../../text.ts';

/** Counters whose change over an interval is checked. */
interface Counters {
  readonly runId: string;
  readonly hits: number;
  readonly misses: number;
  readonly evicted: number;
  readonly rejected: number;
}

export interface Measured {
  readonly pingSeconds: number;
  readonly info: Info;
  /** With TLS: the chain of the connection used this run, read while it is open. */
  readonly chain: PresentedChain | undefined;
}

export type Labels = Readonly<Record<string, string>>;

export class RedisMember {
  readonly endpoint: RedisEndpoint;
  /** `{target}` for a single server; `{target, member, shard}` for a cluster node or sentinel master. */
  labels: Labels;
  /** Checks of this member: the target's name, or `target/host:port`. */
  readonly componentId: string;
  /** Where it is, in a failed check's output (the URL with its password masked, or host:port). */
  private readonly display: string;
  private readonly options: RedisOptions;
  readonly connection: PersistentConnection<Redis>;
  /** Counters at the previous successful run: deltas are over one interval, not the lifetime. */
  private previous: Counters | undefined;

  constructor(options: RedisOptions, endpoint: RedisEndpoint, labels: Labels, componentId: string, display: string) {
    this.options = options;
    this.endpoint = endpoint;
    this.labels = labels;
    this.componentId = componentId;
    this.display = display;
    this.connection = new PersistentConnection(
      redisConnector(endpoint, (client, why) => this.connection.lose(client, why)),
      // Capped at the interval: a server that comes back is seen within one interval.
      { initialMs: 1000, maxMs: options.intervalMs },
    );
  }

  async measure(signal: AbortSignal): Promise<Measured> {
    return this.connection.use(signal, async (client) => {
      const pingSeconds = await ping(client, this.endpoint);
      const info = await readInfo(client, this.endpoint);
      // ioredis's stream is the TLSSocket with rediss://; trust and name judged as the http kind does.
      const tls = this.endpoint.tls;
      const chain =
        tls && client.stream instanceof TLSSocket ? peerChain(client.stream, { verify: true, hostname: tls.serverName ?? this.endpoint.host }) : undefined;
      return { pingSeconds, info, chain };
    });
  }

  /** Unreachable: `up` 0 and the reachability check failing; its other checks wait until it answers (one cause, one failing check). */
  failed(err: unknown): Collection {
    return {
      samples: [{ metric: m.up, labels: this.labels, value: 0 }],
      checks: [{ check: m.reachable, componentId: this.componentId, observedValue: null, status: 'fail', output: `${this.display}: ${reason(err)}` }],
      errors: [],
    };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  report({ pingSeconds, info, chain }: Measured): Collection {
    const labels = this.labels;
    const id = this.componentId;
    const out = emptyCollection();
    const role = info.get('role') ?? 'unknown';
    const ms = round2(pingSeconds * 1000);
    out.samples.push(
      { metric: m.up, labels, value: 1 },
      { metric: m.pingSeconds, labels, value: pingSeconds },
      {
        metric: m.instanceInfo,
        labels: { ...labels, redis_version: info.get('redis_version') ?? '', redis_mode: info.get('redis_mode') ?? '', role },
        value: 1,
      },
    );
    out.checks.push({
      check: m.reachable,
      componentId: id,
      observedValue: ms,
      status: 'pass',
      output: `Redis ${info.get('redis_version') ?? '?'} ${role}, PING ${ms} ms`,
    });
    const gauges: [typeof m.up, string][] = [
      [m.uptime, 'uptime_in_seconds'],
      [m.memoryUsed, 'used_memory'],
      [m.memoryMax, 'maxmemory'],
      [m.connectedClients, 'connected_clients'],
      [m.maxClients, 'maxclients'],
      [m.commandsProcessed, 'total_commands_processed'],
      [m.keyspaceHits, 'keyspace_hits'],
      [m.keyspaceMisses, 'keyspace_misses'],
      [m.evictedKeys, 'evicted_keys'],
      [m.rejectedConnections, 'rejected_connections'],
      [m.connectedSlaves, 'connected_slaves'],
      [m.rdbLastSave, 'rdb_last_save_time'],
      [m.rdbChanges, 'rdb_changes_since_last_save'],
      [m.aofEnabled, 'aof_enabled'],
    ];
    for (const [metric, key] of gauges) {
      const value = num(info, key);
      if (value !== undefined) out.samples.push({ metric, labels, value });
    }
    this.reportCapacity(info, out);
    this.reportInterval(info, out);
    if (role === 'slave') this.reportReplicaLink(info, out);
    this.reportPersistence(info, out);
    if (chain) reportChain(out, chain, { source: `redis/${id}`, thresholds: this.options.expiryThresholds });
    return out;
  }

  private reportCapacity(info: Info, out: Collection): void {
    const { thresholds } = this.options;
    const id = this.componentId;
    const used = num(info, 'used_memory');
    const max = num(info, 'maxmemory');
    if (used !== undefined) {
      out.checks.push(
        max
          ? judgePercent(
              m.memory,
              id,
              (used / max) * 100,
              thresholds.memory,
              'of maxmemory used',
              `${formatBytes(used)} of ${formatBytes(max)}, policy ${info.get('maxmemory_policy') ?? '?'}`,
            )
          : { check: m.memory, componentId: id, observedValue: null, status: 'pass', output: `${formatBytes(used)} used, no maxmemory set: not evaluated` },
      );
    }
    const clients = num(info, 'connected_clients');
    const maxClients = num(info, 'maxclients');
    if (clients !== undefined && maxClients) {
      out.checks.push(judgePercent(m.clients, id, (clients / maxClients) * 100, thresholds.clients, 'of maxclients connected', `${clients} of ${maxClients}`));
    }
  }

  /** Hit ratio, evictions and rejections over the interval since the previous run. */
  private reportInterval(info: Info, out: Collection): void {
    const o = this.options;
    const id = this.componentId;
    const now: Counters = {
      runId: info.get('run_id') ?? '',
      hits: num(info, 'keyspace_hits') ?? 0,
      misses: num(info, 'keyspace_misses') ?? 0,
      evicted: num(info, 'evicted_keys') ?? 0,
      rejected: num(info, 'rejected_connections') ?? 0,
    };
    const before = this.previous;
    this.previous = now;
    if (!before) {
      const output = 'first sample: measured over the next interval';
      out.checks.push(
        { check: m.hitRatioCheck, componentId: id, observedValue: null, status: 'pass', output },
        { check: m.evicted, componentId: id, observedValue: null, status: 'pass', output },
        { check: m.rejected, componentId: id, observedValue: null, status: 'pass', output },
      );
      return;
    }
    // After a restart (new run_id, or counters gone down, e.g. CONFIG RESETSTAT) the counters
    // started again from zero: the delta is their current value.
    const restarted =
      now.runId !== before.runId || now.hits < before.hits || now.misses < before.misses || now.evicted < before.evicted || now.rejected < before.rejected;
    const delta = (key: 'hits' | 'misses' | 'evicted' | 'rejected') => (restarted ? now[key] : now[key] - before[key]);
    const hits = delta('hits');
    const lookups = hits + delta('misses');
    if (lookups >= o.minLookups) {
      const ratio = hits / lookups;
      out.samples.push({ metric: m.hitRatio, labels: this.labels, value: ratio });
      out.checks.push(judgePercent(m.hitRatioCheck, id, ratio * 100, o.thresholds.hitRatio, 'hits', `${hits} of ${lookups} lookups in the last interval`));
    } else {
      out.checks.push({
        check: m.hitRatioCheck,
        componentId: id,
        observedValue: null,
        status: 'pass',
        output: `${lookups} lookups in the last interval, fewer than ${o.minLookups}: not evaluated`,
      });
    }
    out.checks.push(
      judgeValue(m.evicted, id, delta('evicted'), o.thresholds.evicted, '', 'keys evicted in the last interval'),
      judgeValue(m.rejected, id, delta('rejected'), o.thresholds.rejected, '', 'connections rejected in the last interval'),
    );
  }

  private reportReplicaLink(info: Info, out: Collection): void {
    const labels = this.labels;
    const id = this.componentId;
    const master = `${info.get('master_host') ?? '?'}:${info.get('master_port') ?? '?'}`;
    const linkUp = info.get('master_link_status') === 'up';
    out.samples.push({ metric: m.masterLinkUp, labels, value: linkUp ? 1 : 0 });
    if (linkUp) {
      const lastIo = num(info, 'master_last_io_seconds_ago') ?? 0;
      out.samples.push({ metric: m.masterLastIo, labels, value: lastIo });
      out.checks.push({
        check: m.replication,
        componentId: id,
        observedValue: lastIo,
        status: 'pass',
        output: `link to master ${master} up, last I/O ${lastIo} s ago`,
      });
      return;
    }
    // -1 (or absent) while the link has never been up since the replica started.
    const downSince = num(info, 'master_link_down_since_seconds');
    const age = downSince !== undefined && downSince >= 0 ? downSince : null;
    if (age !== null) out.samples.push({ metric: m.masterLinkDownSince, labels, value: age });
    const state = info.get('master_sync_in_progress') === '1' ? ', sync in progress' : '';
    out.checks.push({
      check: m.replication,
      componentId: id,
      observedValue: age,
      status: 'fail',
      output: `link to master ${master} down${age !== null ? ` for ${age} s` : ''}${state}`,
    });
  }

  private reportPersistence(info: Info, out: Collection): void {
    const o = this.options;
    const labels = this.labels;
    const id = this.componentId;
    const bgsave = info.get('rdb_last_bgsave_status');
    if (bgsave !== undefined) {
      const ok = bgsave === 'ok';
      out.samples.push({ metric: m.rdbLastBgsaveOk, labels, value: ok ? 1 : 0 });
      out.checks.push({ check: m.rdbBgsave, componentId: id, observedValue: ok, status: ok ? 'pass' : 'fail', output: `last background save: ${bgsave}` });
    }
    const lastSave = num(info, 'rdb_last_save_time');
    const changes = num(info, 'rdb_changes_since_last_save') ?? 0;
    if (lastSave !== undefined) {
      const age = Math.max(0, Math.round(Date.now() / 1000 - lastSave));
      // With nothing unsaved an old save loses nothing (a read-mostly or cache-only server).
      out.checks.push(
        changes > 0
          ? judgeValue(m.rdbSaveAge, id, age, o.thresholds.saveAge, 's', `since the last successful save, ${changes} changes unsaved`)
          : { check: m.rdbSaveAge, componentId: id, observedValue: age, status: 'pass', output: `${age} s since the last successful save, no changes since` },
      );
    }
    if (info.get('aof_enabled') === '1') {
      const write = info.get('aof_last_write_status') ?? 'unknown';
      const rewrite = info.get('aof_last_bgrewrite_status') ?? 'unknown';
      out.samples.push({ metric: m.aofLastWriteOk, labels, value: write === 'ok' ? 1 : 0 });
      const ok = write === 'ok' && rewrite !== 'err';
      out.checks.push({
        check: m.aof,
        componentId: id,
        observedValue: ok,
        status: ok ? 'pass' : 'fail',
        output: `AOF last write ${write}, last rewrite ${rewrite}`,
      });
    }
  }
}
