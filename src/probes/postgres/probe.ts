// One PostgreSQL server: reachability, connections, replication and its slots, transaction id
// wraparound, WAL archiving, long transactions, lock waits — one statement per run over one
// persistent connection.
import { TLSSocket } from 'node:tls';
import type pg from 'pg';
import type { ProbeSettings } from '../kind.ts';
import { emptyCollection, type Collection, type ProbeContext } from '../types.ts';
import { ConnectedProbe } from '../connection.ts';
import type { PostgresOptions } from './config.ts';
import { postgresConnector, runProbeQuery, segmentsWaiting, type ProbeRow } from './client.ts';
import * as m from './metadata.ts';
import { failedObservation, judge, judgePercent, judgeValue } from '../../checks/judge.ts';
import { formatBytes, round2 } from '../../text.ts';
import { reportPeerCertificate } from '../certificates/peer.ts';

interface Measured {
  readonly row: ProbeRow;
  readonly seconds: number;
  /** The connection's TLS socket (pg swaps its stream for one after SSLRequest); none without TLS. */
  readonly tls: TLSSocket | undefined;
}

export class PostgresProbe extends ConnectedProbe<pg.Client, PostgresOptions, Measured> {
  /** pg_stat_archiver.failed_count at the previous run: failures are counted per interval. */
  private previousFailed: number | undefined;

  constructor(settings: ProbeSettings<PostgresOptions>, _ctx: ProbeContext) {
    super(m.POSTGRES, settings, (onLost) => postgresConnector(settings.options, onLost), m.up, m.reachable);
  }

  protected async measure(client: pg.Client): Promise<Measured> {
    const t0 = performance.now();
    const row = await runProbeQuery(client, this.options);
    const stream = client.connection.stream;
    return { row, seconds: (performance.now() - t0) / 1000, tls: stream instanceof TLSSocket ? stream : undefined };
  }

  protected report({ row, seconds, tls }: Measured): Collection {
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
    this.reportSlots(row, out);
    this.reportXidAge(row, out);
    this.reportArchiving(row, out);

    out.samples.push({ metric: m.oldestTransaction, labels, value: row.oldest_transaction });
    out.checks.push(
      judgeValue(m.oldestTransactionCheck, o.target, round2(row.oldest_transaction), o.thresholds.oldestTransaction, 's', 'oldest open transaction'),
    );
    out.samples.push({ metric: m.lockWaits, labels, value: row.lock_waits });
    out.checks.push(judgeValue(m.lockWaitsCheck, o.target, row.lock_waits, o.thresholds.lockWaits, '', 'lock requests waiting'));
    // A chain that does not verify never connects (verify-ca, verify-full); require asked for no verification.
    if (tls) reportPeerCertificate(out, tls, { source: this.name, thresholds: o.expiryThresholds });
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
      // A receiver's status is hidden without pg_read_all_stats: then it is not judged.
      const known = row.streaming_configured !== false && (row.wal_receiver === null || row.wal_receiver.status !== null);
      const streaming = row.wal_receiver?.status === 'streaming';
      if (known) out.samples.push({ metric: m.walReceiverStreaming, labels: { target: o.target }, value: streaming ? 1 : 0 });
      // Replay has caught up with everything received, so the lag reads 0, while nothing arrives.
      if (known && !streaming) {
        const status = row.wal_receiver ? `WAL receiver ${row.wal_receiver.status}` : 'no WAL receiver running';
        if (row.replication_lag !== null) out.samples.push({ metric: m.replicationLag, labels: { target: o.target }, value: Math.max(0, row.replication_lag) });
        out.checks.push(failedObservation(m.replicationLagCheck, o.target, `not streaming from the primary (${status}): the lag cannot be trusted`));
        return;
      }
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

  private reportSlots(row: ProbeRow, out: Collection): void {
    const o = this.options;
    for (const slot of row.slots) {
      const labels = { target: o.target, slot_name: slot.name, slot_type: slot.type };
      const componentId = `${o.target}/${slot.name}`;
      const state = `${slot.type} slot, ${slot.active ? 'active' : 'inactive'}${slot.wal_status ? `, wal_status ${slot.wal_status}` : ''}`;
      if (slot.retained_bytes !== null)
        out.samples.push({ metric: m.slotRetained, labels: { ...labels, active: String(slot.active) }, value: Math.max(0, slot.retained_bytes) });
      if (slot.safe_wal_size !== null) out.samples.push({ metric: m.slotSafeWalSize, labels, value: slot.safe_wal_size });
      if (slot.wal_status !== null) out.samples.push({ metric: m.slotWalStatus, labels: { ...labels, wal_status: slot.wal_status }, value: 1 });
      if (slot.wal_status === 'lost') {
        out.checks.push(
          failedObservation(
            m.replicationSlotsCheck,
            componentId,
            `${state}: the WAL it needs was removed, the slot can no longer be used (drop and recreate it, rebuild its standby)`,
          ),
        );
        continue;
      }
      if (slot.wal_status === 'unreserved') {
        const retained = slot.retained_bytes === null ? '' : `, ${formatBytes(Math.max(0, slot.retained_bytes))} retained`;
        out.checks.push(
          failedObservation(m.replicationSlotsCheck, componentId, `${state}${retained}: past max_slot_wal_keep_size, its WAL goes at the next checkpoint`),
        );
        continue;
      }
      if (slot.retained_bytes === null) {
        out.checks.push({ check: m.replicationSlotsCheck, componentId, observedValue: null, status: 'pass', output: `${state}, no WAL reserved` });
        continue;
      }
      const bytes = Math.max(0, slot.retained_bytes);
      const safe = slot.safe_wal_size === null ? '' : `, ${formatBytes(Math.max(0, slot.safe_wal_size))} until lost`;
      // A slot in use retains what its consumer has not confirmed yet: that is lag, judged elsewhere.
      out.checks.push(
        slot.active
          ? { check: m.replicationSlotsCheck, componentId, observedValue: bytes, status: 'pass', output: `${formatBytes(bytes)} WAL retained, ${state}${safe}` }
          : judge(m.replicationSlotsCheck, componentId, bytes, o.thresholds.replicationSlotRetained, `${formatBytes(bytes)} WAL retained`, `, ${state}${safe}`),
      );
    }
  }

  private reportXidAge(row: ProbeRow, out: Collection): void {
    const o = this.options;
    let oldest: { name: string; age: number; what: string } | undefined;
    for (const db of row.databases) {
      const labels = { target: o.target, datname: db.name };
      out.samples.push({ metric: m.xidAge, labels, value: db.xid_age }, { metric: m.mxidAge, labels, value: db.mxid_age });
      for (const [age, what] of [
        [db.xid_age, 'transaction id'],
        [db.mxid_age, 'multixact id'],
      ] as const) {
        if (!oldest || age > oldest.age) oldest = { name: db.name, age, what };
      }
    }
    if (!oldest) return;
    const detail = `database ${oldest.name}, ${oldest.what} age ${oldest.age} of ${m.XID_LIMIT}`;
    out.checks.push(judgePercent(m.xidAgeCheck, o.target, (oldest.age / m.XID_LIMIT) * 100, o.thresholds.xidAge, 'of the wraparound limit', detail));
  }

  private reportArchiving(row: ProbeRow, out: Collection): void {
    const o = this.options;
    // A standby archives only with archive_mode = always.
    const archiving = row.archive_mode === 'always' || (row.archive_mode === 'on' && !row.in_recovery);
    const a = row.archiver;
    if (!archiving) {
      this.previousFailed = undefined;
      return;
    }
    const labels = { target: o.target };
    out.samples.push({ metric: m.archiverArchived, labels, value: a.archived_count }, { metric: m.archiverFailed, labels, value: a.failed_count });
    const age = a.last_archived_age === null ? null : Math.max(0, a.last_archived_age);
    if (age !== null) out.samples.push({ metric: m.archiverLastArchiveAge, labels, value: age });
    const waiting = segmentsWaiting(a.last_archived_wal, a.current_lsn, a.segment_bytes);
    if (waiting !== null) out.samples.push({ metric: m.archiverSegmentsWaiting, labels, value: waiting });

    const before = this.previousFailed;
    this.previousFailed = a.failed_count;
    // The counter starts again from 0 after pg_stat_reset_shared('archiver') or a crash.
    const newFailures = before === undefined ? 0 : a.failed_count >= before ? a.failed_count - before : a.failed_count;
    // Still failing: the archiver retries a segment only every minute or so, so a run between
    // two attempts sees no new failure.
    const lastFailed = a.last_failed_age === null ? null : Math.max(0, a.last_failed_age);
    const stillFailing = lastFailed !== null && (age === null || lastFailed < age);
    if (newFailures > 0 || stillFailing) {
      const count = newFailures > 0 ? `${newFailures} failed archive_command in the last interval` : 'the last archive_command failed';
      const last = a.last_archived_wal ? `last archived ${a.last_archived_wal} ${round2(age ?? 0)} s ago` : 'nothing archived yet';
      out.checks.push(
        failedObservation(m.walArchivingCheck, o.target, `${count} (${a.last_failed_wal ?? 'unknown file'}, ${round2(lastFailed ?? 0)} s ago), ${last}`),
      );
      return;
    }
    const pending = waiting === null ? '' : `, ${waiting} complete segment${waiting === 1 ? '' : 's'} waiting`;
    if (age === null || !waiting) {
      const last = age === null ? 'nothing archived yet' : `last archived ${a.last_archived_wal} ${round2(age)} s ago`;
      out.checks.push({
        check: m.walArchivingCheck,
        componentId: o.target,
        observedValue: age === null ? null : round2(age),
        status: 'pass',
        output: `${last}${pending}`,
      });
      return;
    }
    out.checks.push(
      judge(m.walArchivingCheck, o.target, round2(age), o.thresholds.walArchiveAge, `last archived ${a.last_archived_wal} ${round2(age)} s ago`, pending),
    );
  }
}
