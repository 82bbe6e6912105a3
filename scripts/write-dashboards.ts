// Writes the Grafana dashboards under deploy/grafana/ (classic dashboard JSON, importable in
// Grafana 10+): Node (and the certificates Vigil reads), Datastores, Kafka consumer lag and Vigil itself. Generated so that every
// panel gets the same datasource, variables, units and runbook thresholds; a test fails when the
// committed files differ from this script's output (`npm run dashboards` rewrites them).
//
// Thresholds are the agent's default check levels (the runbooks'), so a line turns yellow/red
// where the check turns warn/fail. Variables: datasource, cluster, node (and target/group), all
// multi-value with "All"; `cluster` and `node` are the labels alerts.yaml expects relabelling to
// add (an unlabelled setup gets "All" = `.*`, which matches the empty label too).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckDecl, LevelSpec } from '../src/checks/types.ts';
import * as backups from '../src/probes/backups/metadata.ts';
import * as certificates from '../src/probes/certificates/metadata.ts';
import * as cpu from '../src/probes/cpu/metadata.ts';
import * as disk from '../src/probes/disk/metadata.ts';
import * as http from '../src/probes/http/metadata.ts';
import * as kafka from '../src/probes/kafka/metadata.ts';
import * as memory from '../src/probes/memory/metadata.ts';
import * as postgres from '../src/probes/postgres/metadata.ts';
import * as redisMeta from '../src/probes/redis/metadata.ts';
import { formatBytes } from '../src/text.ts';

export const GRAFANA_DIR = fileURLToPath(new URL('../deploy/grafana/', import.meta.url));

type Step = { value: number | null; color: string };
interface Target {
  expr: string;
  legendFormat: string;
  refId?: string;
  instant?: boolean;
}
interface PanelSpec {
  title: string;
  description: string;
  type?: 'timeseries' | 'stat' | 'bargauge' | 'table';
  unit: string;
  targets: Target[];
  /** Ascending warn/fail levels (yellow, red); descending for "lower is worse" (hit ratio). */
  thresholds?: { warn?: number; fail?: number; descending?: boolean };
  min?: number;
  max?: number;
  w?: number;
  h?: number;
  mappings?: unknown[];
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, expanded by Grafana at import
const DS = { type: 'prometheus', uid: '${datasource}' };
const sel = (extra = '') => `cluster=~"$cluster", node=~"$node"${extra ? `, ${extra}` : ''}`;
// Kafka series carry the Kafka cluster's name in their own `cluster` label (as kafka_exporter's
// targets do by job): the Kafka dashboard selects by node and Kafka cluster only.
const kafkaSel = (extra = '') => `node=~"$node", cluster=~"$kafka_cluster"${extra ? `, ${extra}` : ''}`;

function steps(t: PanelSpec['thresholds']): Step[] {
  if (!t) return [{ value: null, color: 'green' }];
  if (t.descending) {
    const out: Step[] = [{ value: null, color: 'red' }];
    if (t.fail !== undefined && t.warn !== undefined) out.push({ value: t.fail, color: 'yellow' });
    out.push({ value: t.warn ?? t.fail ?? 0, color: 'green' });
    return out;
  }
  const out: Step[] = [{ value: null, color: 'green' }];
  if (t.warn !== undefined) out.push({ value: t.warn, color: 'yellow' });
  if (t.fail !== undefined) out.push({ value: t.fail, color: 'red' });
  return out;
}

function panel(id: number, spec: PanelSpec, x: number, y: number): Record<string, unknown> {
  const type = spec.type ?? 'timeseries';
  const custom =
    type === 'timeseries'
      ? {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: 10,
          showPoints: 'never',
          spanNulls: false,
          thresholdsStyle: { mode: spec.thresholds ? 'line+area' : 'off' },
        }
      : {};
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource: DS,
    gridPos: { h: spec.h ?? 8, w: spec.w ?? 12, x, y },
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        ...(spec.min !== undefined ? { min: spec.min } : {}),
        ...(spec.max !== undefined ? { max: spec.max } : {}),
        thresholds: { mode: 'absolute', steps: steps(spec.thresholds) },
        color: { mode: type === 'timeseries' ? 'palette-classic' : 'thresholds' },
        custom,
        ...(spec.mappings ? { mappings: spec.mappings } : {}),
      },
      overrides: [],
    },
    options:
      type === 'timeseries'
        ? { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } }
        : {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            orientation: 'horizontal',
            colorMode: 'background',
            textMode: 'value_and_name',
          },
    targets: spec.targets.map((t, i) => ({
      datasource: DS,
      refId: t.refId ?? String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legendFormat,
      range: !t.instant,
      instant: !!t.instant,
    })),
  };
}

function row(id: number, title: string, y: number): Record<string, unknown> {
  return { id, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
}

function queryVar(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    query: { query, refId: `${name}-var` },
    refresh: 2,
    includeAll: true,
    allValue: '.*',
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
  };
}

const datasourceVar = {
  name: 'datasource',
  label: 'Prometheus',
  type: 'datasource',
  query: 'prometheus',
  hide: 0,
  refresh: 1,
};

function dashboard(uid: string, title: string, description: string, vars: Record<string, unknown>[], sections: [string, PanelSpec[]][]) {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const [rowTitle, specs] of sections) {
    panels.push(row(id++, rowTitle, y++));
    let x = 0;
    let rowHeight = 0;
    for (const spec of specs) {
      const w = spec.w ?? 12;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panel(id++, spec, x, y));
      x += w;
      rowHeight = Math.max(rowHeight, spec.h ?? 8);
    }
    y += rowHeight;
  }
  return {
    uid,
    title,
    description,
    tags: ['vigil'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [
      {
        title: 'Vigil dashboards',
        type: 'dashboards',
        tags: ['vigil'],
        asDropdown: true,
        icon: 'external link',
        includeVars: true,
        keepTime: true,
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    templating: { list: [datasourceVar, ...vars] },
    panels,
  };
}

const clusterVar = queryVar('cluster', 'Cluster', 'label_values(vigil_build_info, cluster)');
const nodeVar = queryVar('node', 'Node', 'label_values(vigil_build_info{cluster=~"$cluster"}, node)');

const pct = { unit: 'percentunit', min: 0, max: 1 } as const;

function ladderOf(check: CheckDecl): readonly (LevelSpec & { default: number })[] {
  if (!check.ladder) throw new Error(`${check.id} has no threshold ladder`);
  return check.ladder.levels.filter((l): l is LevelSpec & { default: number } => l.default !== undefined);
}

/** A check's default ladder as a panel's yellow/red steps: the mildest warn and the first fail; ratios for percents. */
function panelLevels(check: CheckDecl): PanelSpec['thresholds'] {
  const scale = check.unit === 'percent' ? 100 : 1;
  const levels = ladderOf(check);
  const warn = levels.find((l) => l.status === 'warn')?.default;
  const fail = levels.find((l) => l.status === 'fail')?.default;
  return {
    ...(warn !== undefined ? { warn: warn / scale } : {}),
    ...(fail !== undefined ? { fail: fail / scale } : {}),
    ...(check.ladder?.direction === 'below' ? { descending: true } : {}),
  };
}

/** `70 % (SEV4), 85 % (SEV3), 95 % (SEV2)`, `below 70 % (SEV4)…`: the default levels for a panel's description. */
function levelsText(check: CheckDecl): string {
  const unit = check.unit === 'percent' ? ' %' : check.unit === 's' ? ' s' : check.unit === 'days' ? ' days' : '';
  const below = check.ladder?.direction === 'below' ? 'below ' : '';
  return ladderOf(check)
    .map((l) => `${below}${l.default}${unit} (${l.severity})`)
    .join(', ');
}

export function nodeDashboard() {
  return dashboard(
    'vigil-node',
    'Vigil / Node',
    'Disk, memory, CPU and backup files of the nodes (and containers) Vigil runs on, at the runbook levels.',
    [clusterVar, nodeVar, queryVar('mountpoint', 'Mount', `label_values(vigil_filesystem_size_bytes{${sel()}}, mountpoint)`)],
    [
      [
        'Disk',
        [
          {
            title: 'Disk space used per mount',
            description: `df's Use% (vigil:filesystem_used:ratio). Runbook levels: ${levelsText(disk.diskUtilization)}, playbook ${disk.diskUtilization.playbook}.`,
            ...pct,
            thresholds: panelLevels(disk.diskUtilization),
            targets: [{ expr: `vigil:filesystem_used:ratio{${sel('mountpoint=~"$mountpoint"')}}`, legendFormat: '{{node}} {{mountpoint}}' }],
          },
          {
            title: 'Time until full',
            description: `The agent's linear fit of available space over its time_to_full_window (default 6 h), shown for every mount filling steadily, whatever the Mount selection (enough samples, R² ≥ 0.9: a log-rotation sawtooth has none). Check disk:time_to_full levels: ${levelsText(disk.diskTimeToFull)}, alerts VigilDiskFillingUp / VigilDiskFillingUpCritical after 1 h.`,
            unit: 's',
            min: 0,
            thresholds: panelLevels(disk.diskTimeToFull),
            // Every filling mount, whatever the Mount selection: one not selected is the one to see.
            targets: [{ expr: `vigil_filesystem_time_to_full_seconds{${sel()}}`, legendFormat: '{{node}} {{mountpoint}}' }],
          },
          {
            title: 'Available space',
            description: 'Bytes available to unprivileged users (df Avail).',
            unit: 'bytes',
            min: 0,
            targets: [{ expr: `vigil_filesystem_avail_bytes{${sel('mountpoint=~"$mountpoint"')}}`, legendFormat: '{{node}} {{mountpoint}}' }],
          },
          {
            title: 'Inodes used',
            description: `Share of file nodes used. Runbook levels: ${levelsText(disk.diskInodes)}.`,
            ...pct,
            thresholds: panelLevels(disk.diskInodes),
            targets: [{ expr: `vigil:filesystem_inodes_used:ratio{${sel('mountpoint=~"$mountpoint"')}}`, legendFormat: '{{node}} {{mountpoint}}' }],
          },
        ],
      ],
      [
        'Memory',
        [
          {
            title: 'Host memory used',
            description: `1 − MemAvailable / MemTotal. Runbook levels: ${levelsText(memory.memoryUtilization)}.`,
            ...pct,
            thresholds: panelLevels(memory.memoryUtilization),
            targets: [{ expr: `vigil:memory_used:ratio{${sel()}}`, legendFormat: '{{node}}' }],
          },
          {
            title: 'Host memory',
            description: 'Total and available memory (node_exporter: node_memory_MemTotal_bytes, node_memory_MemAvailable_bytes).',
            unit: 'bytes',
            min: 0,
            targets: [
              { expr: `vigil_memory_total_bytes{${sel()}}`, legendFormat: '{{node}} total' },
              { expr: `vigil_memory_available_bytes{${sel()}}`, legendFormat: '{{node}} available' },
            ],
          },
          {
            title: 'Container memory: working set and limit',
            description:
              'Working set (usage − inactive file, as the kubelet counts it) of the container Vigil runs in; the limit line only where a cgroup memory limit is set. OOM kill at the limit.',
            unit: 'bytes',
            min: 0,
            targets: [
              { expr: `vigil_container_memory_working_set_bytes{${sel()}}`, legendFormat: '{{node}} working set' },
              { expr: `vigil_container_memory_limit_bytes{${sel()}}`, legendFormat: '{{node}} limit' },
            ],
          },
        ],
      ],
      [
        'CPU',
        [
          {
            title: 'Host CPU busy',
            description: `Share of CPU time not idle over the probe interval. Runbook levels: ${levelsText(cpu.cpuUtilizationCheck)}, sustained 5 minutes.`,
            ...pct,
            thresholds: panelLevels(cpu.cpuUtilizationCheck),
            targets: [{ expr: `vigil_cpu_utilization_ratio{${sel()}}`, legendFormat: '{{node}}' }],
          },
          {
            title: 'CPU time by mode',
            description: 'Rate of CPU seconds per mode, in CPUs (all cores summed).',
            unit: 'short',
            min: 0,
            targets: [{ expr: `sum by (node, mode) (rate(vigil_cpu_seconds_total{${sel()}}[$__rate_interval]))`, legendFormat: '{{node}} {{mode}}' }],
          },
          {
            title: 'Busiest cores',
            description: 'Per-core busy share (vigil_cpu_core_seconds_total, like node_cpu_seconds_total): one hot core hides in the host average.',
            ...pct,
            thresholds: panelLevels(cpu.cpuUtilizationCheck),
            targets: [
              {
                expr: `topk(8, 1 - sum by (node, cpu) (rate(vigil_cpu_core_seconds_total{${sel('mode=~"idle|iowait"')}}[$__rate_interval])))`,
                legendFormat: '{{node}} cpu{{cpu}}',
              },
            ],
          },
          {
            title: 'Load average and CPU count',
            description: '1-minute load next to the number of CPUs (count of per-core idle series).',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `vigil_load1{${sel()}}`, legendFormat: '{{node}} load1' },
              { expr: `count by (node) (vigil_cpu_core_seconds_total{${sel('mode="idle"')}})`, legendFormat: '{{node}} CPUs' },
            ],
          },
          {
            title: 'Container CPU throttling',
            description: `Share of CFS periods throttled (only with a CPU quota). Level: ${levelsText(cpu.cpuThrottlingCheck)}, 15 minutes.`,
            ...pct,
            thresholds: panelLevels(cpu.cpuThrottlingCheck),
            targets: [{ expr: `vigil_container_cpu_throttled_ratio{${sel()}}`, legendFormat: '{{node}}' }],
          },
        ],
      ],
      [
        'Certificates',
        [
          {
            title: 'Certificate days left per source',
            description: `Days until notAfter of each certificate Vigil reads: files (probes.certificates) and the chains its TLS connections present (source postgres/<target>). Levels: ${levelsText(certificates.tlsExpiry)} (alerts VigilCertificateExpiringSoon / VigilCertificateExpiryCritical), playbook ${certificates.tlsExpiry.playbook}.`,
            type: 'bargauge',
            unit: 'd',
            thresholds: panelLevels(certificates.tlsExpiry),
            w: 24,
            targets: [
              {
                expr: `min by (source, subject_cn) ((vigil_tls_certificate_not_after_timestamp_seconds{${sel()}} - time()) / 86400)`,
                legendFormat: '{{source}} {{subject_cn}}',
                instant: true,
              },
            ],
          },
        ],
      ],
      [
        'Backups',
        [
          {
            title: 'Newest backup age',
            description: `Age of each backup rule's newest file (check ${backups.backupFreshness.id}, playbook ${backups.backupFreshness.playbook}); above its max_age line VigilBackupStale fires (SEV2).`,
            unit: 's',
            min: 0,
            targets: [
              { expr: `vigil_backup_newest_age_seconds{${sel()}}`, legendFormat: '{{node}} {{rule}}' },
              { expr: `vigil_backup_max_age_seconds{${sel()}}`, legendFormat: '{{node}} {{rule}} max_age' },
            ],
          },
          {
            title: 'Newest backup size',
            description: 'Size of the newest file of each rule, and its min_size (VigilBackupTooSmall, SEV2). A sudden drop is a truncated dump.',
            unit: 'bytes',
            min: 0,
            targets: [
              { expr: `vigil_backup_newest_size_bytes{${sel()}}`, legendFormat: '{{node}} {{rule}}' },
              { expr: `vigil_backup_min_size_bytes{${sel()}}`, legendFormat: '{{node}} {{rule}} min_size' },
            ],
          },
          {
            title: 'Backup files kept',
            description: 'Files matching each rule, and its min_count where set (retention, VigilBackupRetentionShort, SEV3).',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `vigil_backup_files{${sel()}}`, legendFormat: '{{node}} {{rule}}' },
              { expr: `vigil_backup_min_files{${sel()}}`, legendFormat: '{{node}} {{rule}} min_count' },
            ],
          },
        ],
      ],
    ],
  );
}

export function datastoresDashboard() {
  const pg = queryVar('pg_target', 'PostgreSQL', `label_values(vigil_postgres_up{${sel()}}, target)`);
  const redis = queryVar('redis_target', 'Redis', `label_values(vigil_redis_up{${sel()}}, target)`);
  const P = sel('target=~"$pg_target"');
  const R = sel('target=~"$redis_target"');
  const endpoint = queryVar('http_target', 'HTTP endpoint', `label_values(vigil_http_up{${sel()}}, target)`);
  const H = sel('target=~"$http_target"');
  const upMapping = [{ type: 'value', options: { '0': { text: 'DOWN', color: 'red', index: 0 }, '1': { text: 'UP', color: 'green', index: 1 } } }];
  return dashboard(
    'vigil-datastores',
    'Vigil / Datastores',
    'PostgreSQL and Redis targets and HTTP endpoints as Vigil sees them from each node, at the runbook levels.',
    [clusterVar, nodeVar, pg, redis, endpoint],
    [
      [
        'PostgreSQL',
        [
          {
            title: 'PostgreSQL up',
            description: 'Whether the last probe query succeeded (alert VigilPostgresDown after 1 minute, SEV2, playbook Database Down).',
            type: 'stat',
            unit: 'none',
            thresholds: { fail: 0, warn: 1, descending: true },
            mappings: upMapping,
            w: 8,
            targets: [{ expr: `vigil_postgres_up{${P}}`, legendFormat: '{{target}} from {{node}}', instant: true }],
          },
          {
            title: 'Round trip',
            description: 'Latency of the probe query.',
            unit: 's',
            min: 0,
            w: 16,
            targets: [{ expr: `vigil_postgres_round_trip_seconds{${P}}`, legendFormat: '{{target}} from {{node}}' }],
          },
          {
            title: 'Connections used',
            description: `Client connections over max_connections − reserved. Runbook levels: ${levelsText(postgres.connectionsCheck)}, playbook ${postgres.connectionsCheck.playbook}.`,
            ...pct,
            thresholds: panelLevels(postgres.connectionsCheck),
            targets: [{ expr: `vigil_postgres_connections_used_ratio{${P}}`, legendFormat: '{{target}}' }],
          },
          {
            title: 'Connections by state',
            description: 'pg_stat_activity client backends by state.',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `max by (target, state) (sum by (target, state, instance) (vigil_postgres_connections{${P}}))`, legendFormat: '{{target}} {{state}}' },
            ],
          },
          {
            title: 'Oldest transaction',
            description: `Age of the oldest open transaction (long ones block vacuum). Level: ${levelsText(postgres.oldestTransactionCheck)}.`,
            unit: 's',
            min: 0,
            thresholds: panelLevels(postgres.oldestTransactionCheck),
            targets: [{ expr: `vigil_postgres_oldest_transaction_age_seconds{${P}}`, legendFormat: '{{target}}' }],
          },
          {
            title: 'Sessions waiting on locks',
            description: `Backends waiting for a lock. Level: ${levelsText(postgres.lockWaitsCheck)}.`,
            unit: 'short',
            min: 0,
            thresholds: panelLevels(postgres.lockWaitsCheck),
            targets: [{ expr: `vigil_postgres_lock_waits{${P}}`, legendFormat: '{{target}}' }],
          },
          {
            title: 'Replication slots: WAL retained',
            description: `WAL each slot keeps on the server's disk (current LSN − restart_lsn), and what may still be written before it is lost (safe_wal_size, with max_slot_wal_keep_size). Check ${postgres.replicationSlotsCheck.id}: an inactive slot at ${formatBytes(postgres.replicationSlotsCheck.ladder?.levels[0]?.default ?? 0)} warns (SEV3, alert VigilPostgresReplicationSlotRetainingWal after 15 minutes); unreserved or lost fails (SEV2, VigilPostgresReplicationSlotLost), playbook ${postgres.replicationSlotsCheck.playbook}.`,
            unit: 'bytes',
            thresholds: panelLevels(postgres.replicationSlotsCheck),
            targets: [
              {
                expr: `max by (target, slot_name, active) (vigil_postgres_replication_slot_retained_bytes{${P}})`,
                legendFormat: '{{target}} {{slot_name}} retained (active {{active}})',
              },
              { expr: `max by (target, slot_name) (vigil_postgres_replication_slot_safe_wal_size_bytes{${P}})`, legendFormat: '{{target}} {{slot_name}} safe' },
            ],
          },
          {
            title: 'Transaction id age',
            description: `age(datfrozenxid) and mxid_age(datminmxid) of each database over the 2³¹ limit, where writes stop. Levels: ${levelsText(postgres.xidAgeCheck)} (alerts VigilPostgresXidWraparoundWarning / Critical), playbook ${postgres.xidAgeCheck.playbook}.`,
            ...pct,
            thresholds: panelLevels(postgres.xidAgeCheck),
            targets: [
              { expr: `max by (target, datname) (vigil_postgres_database_xid_age{${P}}) / ${postgres.XID_LIMIT}`, legendFormat: '{{target}} {{datname}} xid' },
              {
                expr: `max by (target, datname) (vigil_postgres_database_mxid_age{${P}}) / ${postgres.XID_LIMIT}`,
                legendFormat: '{{target}} {{datname}} multixact',
              },
            ],
          },
          {
            title: 'WAL archive age',
            description: `Seconds since the last WAL file was archived (archive_mode on). Judged only while a segment waits: an idle primary archives nothing. Level: ${levelsText(postgres.walArchivingCheck)} (alert VigilPostgresWalArchiveStale), playbook ${postgres.walArchivingCheck.playbook}.`,
            unit: 's',
            min: 0,
            thresholds: panelLevels(postgres.walArchivingCheck),
            targets: [{ expr: `max by (target) (vigil_postgres_archiver_last_archive_age_seconds{${P}})`, legendFormat: '{{target}}' }],
          },
          {
            title: 'WAL archiving failures and backlog',
            description:
              'Failed archive_command runs per interval (any fails postgres:wal_archiving, alert VigilPostgresWalArchiveFailing, SEV2) and complete segments waiting to be archived.',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `max by (target) (increase(vigil_postgres_archiver_failed_total{${P}}[$__rate_interval]))`, legendFormat: '{{target}} failures' },
              { expr: `max by (target) (vigil_postgres_archiver_segments_waiting{${P}})`, legendFormat: '{{target}} segments waiting' },
            ],
          },
          {
            title: 'Standby WAL receiver',
            description:
              'On each standby: whether its WAL receiver streams from the primary. Not streaming fails postgres:replication_lag even when replay looks caught up (alert VigilPostgresWalReceiverDown after 1 minute, SEV2, playbook Database Down).',
            type: 'stat',
            unit: 'none',
            thresholds: { fail: 0, warn: 1, descending: true },
            mappings: [
              { type: 'value', options: { '0': { text: 'NOT STREAMING', color: 'red', index: 0 }, '1': { text: 'STREAMING', color: 'green', index: 1 } } },
            ],
            w: 24,
            targets: [{ expr: `vigil_postgres_wal_receiver_streaming{${P}}`, legendFormat: '{{target}} from {{node}}', instant: true }],
          },
        ],
      ],
      [
        'Redis',
        [
          {
            title: 'Redis up',
            description: 'Whether the last PING and INFO succeeded (alert VigilRedisDown after 1 minute, SEV2, playbook Redis Issues).',
            type: 'stat',
            unit: 'none',
            thresholds: { fail: 0, warn: 1, descending: true },
            mappings: upMapping,
            w: 8,
            targets: [{ expr: `vigil_redis_up{${R}}`, legendFormat: '{{target}} {{member}} from {{node}}', instant: true }],
          },
          {
            title: 'PING round trip',
            description: 'Latency of PING.',
            unit: 's',
            min: 0,
            w: 16,
            targets: [{ expr: `vigil_redis_ping_seconds{${R}}`, legendFormat: '{{target}} {{member}} from {{node}}' }],
          },
          {
            title: 'Memory used',
            description: 'used_memory, and maxmemory where set (memory check: 80 % SEV3, 90 % SEV2 of maxmemory).',
            unit: 'bytes',
            min: 0,
            targets: [
              { expr: `vigil_redis_memory_used_bytes{${R}}`, legendFormat: '{{target}} {{member}} used' },
              { expr: `vigil_redis_memory_max_bytes{${R}} > 0`, legendFormat: '{{target}} maxmemory' },
            ],
          },
          {
            title: 'Clients used',
            description: `connected_clients over maxclients. Runbook levels: ${levelsText(redisMeta.clients)}.`,
            ...pct,
            thresholds: panelLevels(redisMeta.clients),
            targets: [{ expr: `vigil_redis_connected_clients{${R}} / vigil_redis_config_maxclients{${R}}`, legendFormat: '{{target}}' }],
          },
          {
            title: 'Keyspace hit ratio',
            description: `Hits over lookups (from the counters, as redis_exporter dashboards compute it). Check levels: ${levelsText(redisMeta.hitRatioCheck)}, playbook ${redisMeta.hitRatioCheck.playbook}.`,
            ...pct,
            thresholds: panelLevels(redisMeta.hitRatioCheck),
            targets: [
              {
                expr: `rate(vigil_redis_keyspace_hits_total{${R}}[$__rate_interval]) / (rate(vigil_redis_keyspace_hits_total{${R}}[$__rate_interval]) + rate(vigil_redis_keyspace_misses_total{${R}}[$__rate_interval]))`,
                legendFormat: '{{target}}',
              },
            ],
          },
          {
            title: 'Commands, evictions, rejections',
            description: 'Per-second rates of commands processed, keys evicted and connections rejected.',
            unit: 'ops',
            min: 0,
            targets: [
              { expr: `rate(vigil_redis_commands_processed_total{${R}}[$__rate_interval])`, legendFormat: '{{target}} commands' },
              { expr: `rate(vigil_redis_evicted_keys_total{${R}}[$__rate_interval])`, legendFormat: '{{target}} evicted' },
              { expr: `rate(vigil_redis_rejected_connections_total{${R}}[$__rate_interval])`, legendFormat: '{{target}} rejected' },
            ],
          },
        ],
      ],
      [
        'HTTP endpoints',
        [
          {
            title: 'Endpoint up',
            description: 'Whether the last request got an expected answer (alert VigilEndpointDown after 1 minute, SEV2, playbook P1 Incident Response).',
            type: 'stat',
            unit: 'none',
            thresholds: { fail: 0, warn: 1, descending: true },
            mappings: upMapping,
            w: 8,
            targets: [{ expr: `vigil_http_up{${H}}`, legendFormat: '{{target}} from {{node}}', instant: true }],
          },
          {
            title: 'Latency p95',
            description: `p95 of the request time over the last runs (latency_window). Runbook levels: ${levelsText(http.latency)}, playbook ${http.latency.playbook}.`,
            unit: 's',
            min: 0,
            w: 16,
            thresholds: panelLevels(http.latency),
            targets: [{ expr: `vigil_http_latency_p95_seconds{${H}}`, legendFormat: '{{target}} from {{node}}' }],
          },
          {
            title: 'Request phases',
            description: 'Time of each phase of the last request: resolve, connect and tls (0 on a kept connection) are the network, processing the service.',
            unit: 's',
            min: 0,
            targets: [{ expr: `max by (target, phase) (vigil_http_duration_seconds{${H}})`, legendFormat: '{{target}} {{phase}}' }],
          },
          {
            title: 'Status code',
            description: 'Status code of the last answer (0: none).',
            unit: 'none',
            targets: [{ expr: `max by (target) (vigil_http_status_code{${H}})`, legendFormat: '{{target}}' }],
          },
        ],
      ],
      [
        // Cluster nodes and sentinel masters appear in the panels above too, one series per member.
        'Redis Cluster and Sentinel',
        [
          {
            title: 'Cluster state',
            description: `cluster_state of CLUSTER INFO (alert VigilRedisClusterFailing after 1 minute, SEV2, playbook ${redisMeta.clusterStateCheck.playbook}).`,
            type: 'stat',
            unit: 'none',
            thresholds: { fail: 0, warn: 1, descending: true },
            mappings: [{ type: 'value', options: { '0': { text: 'FAIL', color: 'red', index: 0 }, '1': { text: 'OK', color: 'green', index: 1 } } }],
            w: 8,
            targets: [{ expr: `vigil_redis_cluster_state{${R}}`, legendFormat: '{{target}} from {{node}}', instant: true }],
          },
          {
            title: 'Cluster slots pfail, fail, unassigned',
            description: 'Slots PFAIL (suspected, SEV3), FAIL (SEV2) and not assigned (SEV3), from CLUSTER INFO.',
            unit: 'short',
            min: 0,
            w: 16,
            targets: [
              { expr: `vigil_redis_cluster_slots_pfail{${R}}`, legendFormat: '{{target}} pfail' },
              { expr: `vigil_redis_cluster_slots_fail{${R}}`, legendFormat: '{{target}} fail' },
              { expr: `16384 - vigil_redis_cluster_slots_assigned{${R}}`, legendFormat: '{{target}} unassigned' },
            ],
          },
          {
            title: 'Cluster nodes',
            description: 'Nodes known, masters serving slots (cluster_size) and nodes probed as members (at most 64).',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `vigil_redis_cluster_known_nodes{${R}}`, legendFormat: '{{target}} known' },
              { expr: `vigil_redis_cluster_size{${R}}`, legendFormat: '{{target}} size' },
              { expr: `vigil_redis_cluster_members_probed{${R}}`, legendFormat: '{{target}} probed' },
            ],
          },
          {
            title: 'Unhealthy cluster nodes',
            description: 'Nodes flagged fail or fail?, or failed in CLUSTER SHARDS, and bus links down, as the node read sees them.',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `count by (target) (vigil_redis_cluster_node_healthy{${R}} == 0)`, legendFormat: '{{target}} unhealthy' },
              { expr: `count by (target) (vigil_redis_cluster_node_link_up{${R}} == 0)`, legendFormat: '{{target}} links down' },
            ],
          },
          {
            title: 'Healthy replicas per master',
            description: `Masters at 0 have no failover (alert VigilRedisClusterMasterWithoutReplica after 5 minutes, SEV3).`,
            unit: 'short',
            min: 0,
            thresholds: { warn: 1, descending: true },
            targets: [{ expr: `vigil_redis_cluster_master_healthy_replicas{${R}}`, legendFormat: '{{target}} {{member}} ({{shard}})' }],
          },
          {
            title: 'Replication offset',
            description: 'replication-offset of every node (CLUSTER SHARDS): a replica falling behind its master shows as a gap.',
            unit: 'bytes',
            targets: [{ expr: `vigil_redis_cluster_node_replication_offset{${R}}`, legendFormat: '{{member}} {{shard}}' }],
          },
          {
            title: 'Sentinel quorum',
            description: `SENTINEL CKQUORUM (alert VigilRedisSentinelNoQuorum after 1 minute, SEV2).`,
            type: 'stat',
            unit: 'none',
            thresholds: { fail: 0, warn: 1, descending: true },
            mappings: [{ type: 'value', options: { '0': { text: 'NO QUORUM', color: 'red', index: 0 }, '1': { text: 'OK', color: 'green', index: 1 } } }],
            w: 8,
            targets: [{ expr: `vigil_redis_sentinel_quorum_ok{${R}}`, legendFormat: '{{target}} from {{node}}', instant: true }],
          },
          {
            title: 'Sentinel master flags',
            description: 'o_down (SEV2), s_down and failover in progress (SEV3) of the master, as the freshest sentinel says.',
            unit: 'none',
            min: 0,
            max: 1,
            w: 16,
            targets: [
              { expr: `vigil_redis_sentinel_master_odown{${R}}`, legendFormat: '{{target}} o_down' },
              { expr: `vigil_redis_sentinel_master_sdown{${R}}`, legendFormat: '{{target}} s_down' },
              { expr: `vigil_redis_sentinel_failover_in_progress{${R}}`, legendFormat: '{{target}} failover' },
            ],
          },
          {
            title: 'Sentinels and replicas',
            description: 'Sentinels monitoring the master against its quorum; replicas known and up; the current master address in the legend.',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `vigil_redis_sentinel_sentinels{${R}}`, legendFormat: '{{target}} sentinels' },
              { expr: `vigil_redis_sentinel_quorum{${R}}`, legendFormat: '{{target}} quorum' },
              { expr: `vigil_redis_sentinel_replicas{${R}}`, legendFormat: '{{target}} replicas {{state}}' },
              { expr: `vigil_redis_sentinel_master_info{${R}}`, legendFormat: '{{target}} master {{master}}' },
            ],
          },
        ],
      ],
    ],
  );
}

export function kafkaDashboard() {
  const kafkaNode = queryVar('node', 'Node', 'label_values(vigil_kafka_brokers, node)');
  const kafkaCluster = queryVar('kafka_cluster', 'Kafka cluster', 'label_values(vigil_kafka_brokers{node=~"$node"}, cluster)');
  const group = queryVar('group', 'Consumer group', `label_values(vigil_kafka_consumergroup_lag_sum{${kafkaSel()}}, group)`);
  const G = kafkaSel('group=~"$group"');
  const C = kafkaSel();
  const statusMapping = [
    {
      type: 'value',
      options: {
        '0': { text: 'OK', color: 'green', index: 0 },
        '1': { text: 'WARN', color: 'yellow', index: 1 },
        '2': { text: 'REWIND', color: 'orange', index: 2 },
        '3': { text: 'STALL', color: 'red', index: 3 },
        '4': { text: 'STOP', color: 'red', index: 4 },
        '5': { text: 'ERR', color: 'red', index: 5 },
      },
    },
  ];
  return dashboard(
    'vigil-kafka-lag',
    'Vigil / Kafka consumer lag',
    'Consumer group lag in messages and seconds, and Burrow-style status, at the runbook levels.',
    [kafkaNode, kafkaCluster, group],
    [
      [
        'Consumer groups',
        [
          {
            title: 'Status per group',
            description:
              'OK, WARN (falling behind), REWIND, STALL, STOP, ERR over the evaluation window (check kafka:consumer_status, playbook Severe Performance Degradation).',
            type: 'stat',
            unit: 'none',
            thresholds: { warn: 1, fail: 3 },
            mappings: statusMapping,
            w: 24,
            h: 5,
            targets: [{ expr: `max by (cluster, group) (vigil_kafka_consumergroup_status{${G}})`, legendFormat: '{{cluster}} / {{group}}', instant: true }],
          },
          {
            title: 'Lag (messages)',
            description: `Messages behind the log end, summed over partitions. Level: ${levelsText(kafka.lagMessagesCheck)}.`,
            unit: 'short',
            min: 0,
            thresholds: panelLevels(kafka.lagMessagesCheck),
            targets: [{ expr: `max by (cluster, group) (vigil_kafka_consumergroup_lag_sum{${G}})`, legendFormat: '{{cluster}} / {{group}}' }],
          },
          {
            title: 'Lag (seconds)',
            description: `How long ago the oldest unconsumed message was produced. Runbook levels: ${levelsText(kafka.lagSecondsCheck)}.`,
            unit: 's',
            min: 0,
            thresholds: panelLevels(kafka.lagSecondsCheck),
            targets: [{ expr: `max by (cluster, group) (vigil_kafka_consumergroup_lag_seconds{${G}})`, legendFormat: '{{cluster}} / {{group}}' }],
          },
          {
            title: 'Lag per topic',
            description: 'Lag summed per topic of each group.',
            unit: 'short',
            min: 0,
            targets: [{ expr: `max by (cluster, group, topic) (vigil_kafka_consumergroup_topic_lag_sum{${G}})`, legendFormat: '{{group}} {{topic}}' }],
          },
          {
            title: 'Messages lost beyond retention',
            description:
              'Messages deleted (retention, delete-records) before the group consumed them: log start above the committed offset (check kafka:consumer_data_loss, SEV2, alert VigilKafkaConsumerDataLoss).',
            unit: 'short',
            min: 0,
            thresholds: { fail: 1 },
            targets: [{ expr: `max by (cluster, group) (vigil_kafka_consumergroup_lost_messages{${G}})`, legendFormat: '{{cluster}} / {{group}}' }],
          },
          {
            title: 'Group members',
            description: 'Members of each group (0: nobody consumes).',
            unit: 'short',
            min: 0,
            targets: [{ expr: `max by (cluster, group) (vigil_kafka_consumergroup_members{${G}})`, legendFormat: '{{cluster}} / {{group}}' }],
          },
        ],
      ],
      [
        'Cluster',
        [
          {
            title: 'Brokers',
            description: 'Brokers the cluster lists.',
            type: 'stat',
            unit: 'short',
            w: 8,
            targets: [{ expr: `max by (cluster) (vigil_kafka_brokers{${C}})`, legendFormat: '{{cluster}}', instant: true }],
          },
          {
            title: 'Offline and under-replicated partitions',
            description: 'Partitions without a leader (kafka:partitions fails, SEV2) or with fewer in-sync replicas than replicas (warn).',
            unit: 'short',
            min: 0,
            thresholds: { warn: 1 },
            w: 16,
            targets: [
              { expr: `max by (cluster) (vigil_kafka_offline_partitions{${C}})`, legendFormat: '{{cluster}} offline' },
              { expr: `max by (cluster) (vigil_kafka_under_replicated_partitions{${C}})`, legendFormat: '{{cluster}} under-replicated' },
            ],
          },
        ],
      ],
    ],
  );
}

export function vigilDashboard() {
  const probe = queryVar('probe', 'Probe', `label_values(vigil_probe_success{${sel()}}, probe)`);
  const S = sel('probe=~"$probe"');
  return dashboard(
    'vigil-agent',
    'Vigil / Agent',
    "Vigil's own health: probe durations, failures, staleness, check states and tracing drops.",
    [clusterVar, nodeVar, probe],
    [
      [
        'Probes',
        [
          {
            title: 'Probe run duration (p95)',
            description: 'Runs are bounded by the probe timeout; a creeping duration precedes timeouts.',
            unit: 's',
            min: 0,
            targets: [
              {
                expr: `histogram_quantile(0.95, sum by (probe, le) (rate(vigil_probe_duration_seconds_bucket{${S}}[$__rate_interval])))`,
                legendFormat: '{{probe}}',
              },
            ],
          },
          {
            title: 'Failed runs per second',
            description: 'Runs that failed or timed out (alert VigilProbeFailing after 5 minutes of failure).',
            unit: 'ops',
            min: 0,
            thresholds: { warn: 0.0001 },
            targets: [
              {
                expr: `sum by (probe) (rate(vigil_probe_runs_total{${sel('probe=~"$probe", result!="success"')}}[$__rate_interval])) or sum by (probe) (rate(vigil_probe_runs_total{${S}}[$__rate_interval])) * 0`,
                legendFormat: '{{probe}}',
              },
            ],
          },
          {
            title: 'Staleness (intervals since last success)',
            description: 'Age of the last successful run in probe intervals; at 3 the agent reports the check stale (alert VigilProbeStale).',
            unit: 'short',
            min: 0,
            thresholds: { warn: 2, fail: 3 },
            targets: [
              { expr: `(time() - vigil_probe_last_success_timestamp_seconds{${S}}) / vigil_probe_interval_seconds{${S}}`, legendFormat: '{{node}} {{probe}}' },
            ],
          },
          {
            title: 'Checks not passing',
            description: 'Checks by status (1 warn, 2 fail) as /health/detailed reports them.',
            unit: 'short',
            min: 0,
            thresholds: { warn: 1, fail: 2 },
            targets: [{ expr: `max by (check, component_id) (vigil_check_status{${sel()}})`, legendFormat: '{{check}} {{component_id}}' }],
          },
        ],
      ],
      [
        'Agent',
        [
          {
            title: 'Agents and versions',
            description: 'One series per agent (vigil_build_info).',
            type: 'table',
            unit: 'none',
            w: 12,
            targets: [{ expr: `vigil_build_info{${sel()}}`, legendFormat: '{{node}} {{version}}', instant: true }],
          },
          {
            title: 'Tracing: spans dropped and export failures',
            description: 'Spans dropped (queue full or exporter down) and failed exports per second; 0 with tracing off.',
            unit: 'ops',
            min: 0,
            thresholds: { warn: 0.0001 },
            w: 12,
            targets: [
              { expr: `sum by (node) (rate(vigil_tracing_spans_dropped_total{${sel()}}[$__rate_interval]))`, legendFormat: '{{node}} dropped' },
              { expr: `sum by (node) (rate(vigil_tracing_export_failures_total{${sel()}}[$__rate_interval]))`, legendFormat: '{{node}} export failures' },
            ],
          },
        ],
      ],
    ],
  );
}

export const DASHBOARDS: Readonly<Record<string, () => unknown>> = {
  'node.json': nodeDashboard,
  'datastores.json': datastoresDashboard,
  'kafka-consumer-lag.json': kafkaDashboard,
  'vigil.json': vigilDashboard,
};

export function dashboardText(file: string): string {
  return `${JSON.stringify((DASHBOARDS[file] as () => unknown)(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of Object.keys(DASHBOARDS)) writeFileSync(`${GRAFANA_DIR}${file}`, dashboardText(file));
  console.log(`wrote ${Object.keys(DASHBOARDS).length} dashboards to deploy/grafana/`);
}
