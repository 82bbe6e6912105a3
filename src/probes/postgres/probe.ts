// One PostgreSQL server: reachability, connections, replication, long transactions, lock
// waits — one statement per run over one persistent connection.
import type pg from 'pg';
import type { ProbeSettings } from '../kind.ts';
import { emptyCollection, type Collection, type ProbeContext } from '../types.ts';
import { ConnectedProbe } from '../connection.ts';
import type { PostgresOptions } from './config.ts';
import { postgresConnector, runProbeQuery, type ProbeRow } from './client.ts';
import * as m from './metadata.ts';
import { failedObservation, judgePercent, judgeValue } from '../../checks/judge.ts';
import { round2 } from '../../text.ts';

interface Measured {
  readonly row: ProbeRow;
  readonly seconds: number;
}

export class PostgresProbe extends ConnectedProbe<pg.Client, PostgresOptions, Measured> {
  constructor(settings: ProbeSettings<PostgresOptions>, _ctx: ProbeContext) {
    super(m.POSTGRES, settings, (onLost) => postgresConnector(settings.options, onLost), m.up, m.reachable);
  }

  protected async measure(client: pg.Client): Promise<Measured> {
    const t0 = performance.now();
    const row = await runProbeQuery(client, this.options);
    return { row, seconds: (performance.now() - t0) / 1000 };
  }

  protected report({ row, seconds }: Measured): Collection {
    const o = this.options;
    const labels = { target: o.target };
    const out = emptyCollection();
    out.samples.push(
      { metric: m.up, labels, value: 1 },
      { metric: m.roundTrip, labels, value: seconds },
      {
        metric: m.versionInfo,
        labels: { target: o.target, version: row.version.split(' ')[0] ?? row.version, version_num: String(row.version_num) },
        value: 1,
      },
      { metric: m.isReplica, labels, value: row.in_recovery ? 1 : 0 },
    );
    const role = row.in_recovery ? 'replica' : 'primary';
    out.checks.push({
      check: m.reachable,
      componentId: o.target,
      observedValue: round2(seconds * 1000),
      status: 'pass',
      output: `PostgreSQL ${row.version} ${role}, round trip ${round2(seconds * 1000)} ms`,
    });
    this.reportConnections(row, out);
    this.reportReplication(row, out);

    out.samples.push({ metric: m.oldestTransaction, labels, value: row.oldest_transaction });
    out.checks.push(
      judgeValue(m.oldestTransactionCheck, o.target, round2(row.oldest_transaction), o.thresholds.oldestTransaction, 's', 'oldest open transaction'),
    );
    out.samples.push({ metric: m.lockWaits, labels, value: row.lock_waits });
    out.checks.push(judgeValue(m.lockWaitsCheck, o.target, row.lock_waits, o.thresholds.lockWaits, '', 'lock requests waiting'));
    return out;
  }

  private reportConnections(row: ProbeRow, out: Collection): void {
    const o = this.options;
    const labels = { target: o.target };
    const inUse = Object.values(row.connections).reduce((a, b) => a + b, 0);
    const usable = row.max_connections - row.reserved_connections;
    out.samples.push(
      { metric: m.maxConnections, labels, value: row.max_connections },
      { metric: m.reservedConnections, labels, value: row.reserved_connections },
    );
    for (const [state, count] of Object.entries(row.connections))
      out.samples.push({ metric: m.connections, labels: { target: o.target, state }, value: count });
    if (usable <= 0) {
      out.checks.push(
        failedObservation(
          m.connectionsCheck,
          o.target,
          `no slot left for ordinary roles: max_connections ${row.max_connections}, ${row.reserved_connections} reserved`,
        ),
      );
      return;
    }
    out.samples.push({ metric: m.connectionsUsedRatio, labels, value: inUse / usable });
    const states = Object.entries(row.connections)
      .sort(([, a], [, b]) => b - a)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    out.checks.push(
      judgePercent(
        m.connectionsCheck,
        o.target,
        (inUse / usable) * 100,
        o.thresholds.connections,
        'of connections in use',
        `${inUse} of ${usable} (${states})`,
      ),
    );
  }

  private reportReplication(row: ProbeRow, out: Collection): void {
    const o = this.options;
    const thresholds = o.thresholds.replicationLag;
    if (row.in_recovery) {
      if (row.replication_lag === null) {
        out.checks.push({
          check: m.replicationLagCheck,
          componentId: o.target,
          observedValue: null,
          status: 'pass',
          output: 'standby, no transaction replayed yet',
        });
        return;
      }
      const lag = Math.max(0, row.replication_lag);
      out.samples.push({ metric: m.replicationLag, labels: { target: o.target }, value: lag });
      out.checks.push(judgeValue(m.replicationLagCheck, o.target, round2(lag), thresholds, 's', 'behind the primary'));
      return;
    }
    const seen = new Set<string>();
    for (const standby of row.standbys) {
      // Two standbys with the same application_name are told apart by address.
      let name = standby.name;
      if (seen.has(name)) name = `${name}@${standby.address}`;
      seen.add(name);
      const labels = { target: o.target, standby: name };
      if (standby.lag_bytes !== null) out.samples.push({ metric: m.standbyLagBytes, labels, value: Math.max(0, standby.lag_bytes) });
      // replay_lag goes NULL a while after a standby has caught up on an idle primary.
      const lag = standby.replay_lag ?? (standby.lag_bytes === 0 ? 0 : null);
      if (lag !== null) out.samples.push({ metric: m.standbyReplayLag, labels, value: lag });
      const componentId = `${o.target}/${name}`;
      const bytes = standby.lag_bytes === null ? 'unknown' : `${Math.max(0, standby.lag_bytes)} bytes`;
      out.checks.push(
        lag === null
          ? {
              check: m.replicationLagCheck,
              componentId,
              observedValue: null,
              status: 'pass',
              output: `standby ${name}: replay lag not measured yet, ${bytes} behind`,
            }
          : judgeValue(m.replicationLagCheck, componentId, round2(lag), thresholds, 's', `standby ${name} behind, ${bytes}`),
      );
    }
  }
}
