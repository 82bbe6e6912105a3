// One Redis server: PING latency, memory, clients, the hit ratio of the last interval,
// evictions, rejected connections, replication link, persistence — one PING and one INFO per
// run over one persistent connection. Works where CONFIG is disabled (managed Redis): every
// setting needed (maxmemory, maxclients) is read from INFO.
import type { Redis } from 'ioredis';
import type { ProbeSettings } from '../kind.ts';
import { emptyCollection, type Collection, type ProbeContext } from '../types.ts';
import { ConnectedProbe } from '../connection.ts';
import type { RedisOptions } from './config.ts';
import { info as readInfo, num, ping, redisConnector, type Info } from './client.ts';
import * as m from './metadata.ts';
import { judgePercent, judgeValue } from '../../checks/judge.ts';
import { formatBytes, round2 } from '../../text.ts';

/** Counters whose change over an interval is checked. */
interface Counters {
  readonly runId: string;
  readonly hits: number;
  readonly misses: number;
  readonly evicted: number;
  readonly rejected: number;
}

interface Measured {
  readonly pingSeconds: number;
  readonly info: Info;
}

export class RedisProbe extends ConnectedProbe<Redis, RedisOptions, Measured> {
  /** Hit ratio, evictions and rejections are deltas between two runs. */
  readonly comparesRuns = true;
  /** Counters at the previous successful run: deltas are over one interval, not the lifetime. */
  private previous: Counters | undefined;

  constructor(settings: ProbeSettings<RedisOptions>, _ctx: ProbeContext) {
    super(m.REDIS, settings, (onLost) => redisConnector(settings.options, onLost), m.up, m.reachable);
  }

  protected async measure(client: Redis): Promise<Measured> {
    return { pingSeconds: await ping(client, this.options), info: await readInfo(client, this.options) };
  }

  protected report({ pingSeconds, info }: Measured): Collection {
    const o = this.options;
    const labels = { target: o.target };
    const out = emptyCollection();
    const role = info.get('role') ?? 'unknown';
    const ms = round2(pingSeconds * 1000);
    out.samples.push(
      { metric: m.up, labels, value: 1 },
      { metric: m.pingSeconds, labels, value: pingSeconds },
      {
        metric: m.instanceInfo,
        labels: { target: o.target, redis_version: info.get('redis_version') ?? '', redis_mode: info.get('redis_mode') ?? '', role },
        value: 1,
      },
    );
    out.checks.push({
      check: m.reachable,
      componentId: o.target,
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
    return out;
  }

  private reportCapacity(info: Info, out: Collection): void {
    const o = this.options;
    const used = num(info, 'used_memory');
    const max = num(info, 'maxmemory');
    if (used !== undefined) {
      out.checks.push(
        max
          ? judgePercent(
              m.memory,
              o.target,
              (used / max) * 100,
              o.thresholds.memory,
              'of maxmemory used',
              `${formatBytes(used)} of ${formatBytes(max)}, policy ${info.get('maxmemory_policy') ?? '?'}`,
            )
          : {
              check: m.memory,
              componentId: o.target,
              observedValue: null,
              status: 'pass',
              output: `${formatBytes(used)} used, no maxmemory set: not evaluated`,
            },
      );
    }
    const clients = num(info, 'connected_clients');
    const maxClients = num(info, 'maxclients');
    if (clients !== undefined && maxClients) {
      out.checks.push(
        judgePercent(m.clients, o.target, (clients / maxClients) * 100, o.thresholds.clients, 'of maxclients connected', `${clients} of ${maxClients}`),
      );
    }
  }

  /** Hit ratio, evictions and rejections over the interval since the previous run. */
  private reportInterval(info: Info, out: Collection): void {
    const o = this.options;
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
        { check: m.hitRatioCheck, componentId: o.target, observedValue: null, status: 'pass', output },
        { check: m.evicted, componentId: o.target, observedValue: null, status: 'pass', output },
        { check: m.rejected, componentId: o.target, observedValue: null, status: 'pass', output },
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
      out.samples.push({ metric: m.hitRatio, labels: { target: o.target }, value: ratio });
      out.checks.push(
        judgePercent(m.hitRatioCheck, o.target, ratio * 100, o.thresholds.hitRatio, 'hits', `${hits} of ${lookups} lookups in the last interval`),
      );
    } else {
      out.checks.push({
        check: m.hitRatioCheck,
        componentId: o.target,
        observedValue: null,
        status: 'pass',
        output: `${lookups} lookups in the last interval, fewer than ${o.minLookups}: not evaluated`,
      });
    }
    out.checks.push(
      judgeValue(m.evicted, o.target, delta('evicted'), o.thresholds.evicted, '', 'keys evicted in the last interval'),
      judgeValue(m.rejected, o.target, delta('rejected'), o.thresholds.rejected, '', 'connections rejected in the last interval'),
    );
  }

  private reportReplicaLink(info: Info, out: Collection): void {
    const o = this.options;
    const labels = { target: o.target };
    const master = `${info.get('master_host') ?? '?'}:${info.get('master_port') ?? '?'}`;
    const linkUp = info.get('master_link_status') === 'up';
    out.samples.push({ metric: m.masterLinkUp, labels, value: linkUp ? 1 : 0 });
    if (linkUp) {
      const lastIo = num(info, 'master_last_io_seconds_ago') ?? 0;
      out.samples.push({ metric: m.masterLastIo, labels, value: lastIo });
      out.checks.push({
        check: m.replication,
        componentId: o.target,
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
      componentId: o.target,
      observedValue: age,
      status: 'fail',
      output: `link to master ${master} down${age !== null ? ` for ${age} s` : ''}${state}`,
    });
  }

  private reportPersistence(info: Info, out: Collection): void {
    const o = this.options;
    const labels = { target: o.target };
    const bgsave = info.get('rdb_last_bgsave_status');
    if (bgsave !== undefined) {
      const ok = bgsave === 'ok';
      out.samples.push({ metric: m.rdbLastBgsaveOk, labels, value: ok ? 1 : 0 });
      out.checks.push({
        check: m.rdbBgsave,
        componentId: o.target,
        observedValue: ok,
        status: ok ? 'pass' : 'fail',
        output: `last background save: ${bgsave}`,
      });
    }
    const lastSave = num(info, 'rdb_last_save_time');
    const changes = num(info, 'rdb_changes_since_last_save') ?? 0;
    if (lastSave !== undefined) {
      const age = Math.max(0, Math.round(Date.now() / 1000 - lastSave));
      // With nothing unsaved an old save loses nothing (a read-mostly or cache-only server).
      out.checks.push(
        changes > 0
          ? judgeValue(m.rdbSaveAge, o.target, age, o.thresholds.saveAge, 's', `since the last successful save, ${changes} changes unsaved`)
          : {
              check: m.rdbSaveAge,
              componentId: o.target,
              observedValue: age,
              status: 'pass',
              output: `${age} s since the last successful save, no changes since`,
            },
      );
    }
    if (info.get('aof_enabled') === '1') {
      const write = info.get('aof_last_write_status') ?? 'unknown';
      const rewrite = info.get('aof_last_bgrewrite_status') ?? 'unknown';
      out.samples.push({ metric: m.aofLastWriteOk, labels, value: write === 'ok' ? 1 : 0 });
      const ok = write === 'ok' && rewrite !== 'err';
      out.checks.push({
        check: m.aof,
        componentId: o.target,
        observedValue: ok,
        status: ok ? 'pass' : 'fail',
        output: `AOF last write ${write}, last rewrite ${rewrite}`,
      });
    }
  }
}
