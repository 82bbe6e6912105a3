// Vigil's consumers, for real: a Prometheus server (Debian's) scrapes a real agent (node
// src/main.ts) that watches PostgreSQL, a Redis of our own, a Kafka broker, a small tmpfs, a
// second one filling at a steady rate (time to full) and a backup file,
// with deploy/prometheus/alerts.yaml loaded. One Prometheus, agent and broker serve every
// assertion: rules healthy, every series a rule or dashboard names exists, every dashboard
// panel query (variables filled in as Grafana would) returns data, and two alerts fire and
// resolve when a fault is made and undone.
//
// alerts.yaml is loaded with every `for:` shortened to 2 s (expressions, labels and annotations
// as shipped); the test would otherwise wait 2 minutes for the disk alert.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../bench/lib.ts';
import { DASHBOARDS } from '../scripts/write-dashboards.ts';
import { spawnAgent, waitFor } from './helpers.ts';
import { adminFor, brokerFor, createTopic, kafkaVersions, produce, setOffsets, unique } from './kafka/broker.ts';
import { anyPostgres } from './servers/postgres.ts';
import { startPrometheus, type PromAlert } from './servers/prometheus.ts';
import { ownRedis } from './servers/redis.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = 'consumer-test-node';
const RATE_INTERVAL = '10s'; // Grafana's $__rate_interval: 4 × the 1 s scrape interval, rounded up

/**
 * Series that exist only in some setups: a rule or panel naming them is right, this machine just
 * does not produce them. Anything else a rule or panel names must be in the scrape.
 */
const CONDITIONAL: Readonly<Record<string, string>> = {
  vigil_container_memory_limit_bytes: 'only when the cgroup has a memory limit (the DaemonSet reads the node root cgroup: none)',
  'vigil:container_memory_used:ratio': 'recorded from vigil_container_memory_limit_bytes',
  vigil_container_cpu_throttled_ratio: 'only with CFS counters, i.e. a non-root cgroup with the cpu controller',
  vigil_container_cpu_cfs_periods_total: 'as vigil_container_cpu_throttled_ratio',
  vigil_redis_cluster_state: 'only for a Redis Cluster target (the Redis here is a single server)',
  vigil_redis_cluster_slots_assigned: 'only for a Redis Cluster target',
  vigil_redis_cluster_slots_pfail: 'only for a Redis Cluster target',
  vigil_redis_cluster_slots_fail: 'only for a Redis Cluster target',
  vigil_redis_cluster_known_nodes: 'only for a Redis Cluster target',
  vigil_redis_cluster_size: 'only for a Redis Cluster target',
  vigil_redis_cluster_members_probed: 'only for a Redis Cluster target',
  vigil_redis_cluster_node_healthy: 'only for a Redis Cluster target',
  vigil_redis_cluster_node_link_up: 'only for a Redis Cluster target',
  vigil_redis_cluster_master_healthy_replicas: 'only for a Redis Cluster target',
  vigil_redis_cluster_node_replication_offset: 'only for a Redis Cluster target of Redis 7.0 or later (CLUSTER SHARDS)',
  vigil_redis_sentinel_quorum_ok: 'only for a Redis Sentinel target (the Redis here is a single server)',
  vigil_redis_sentinel_master_odown: 'only for a Redis Sentinel target',
  vigil_redis_sentinel_master_sdown: 'only for a Redis Sentinel target',
  vigil_redis_sentinel_failover_in_progress: 'only for a Redis Sentinel target',
  vigil_redis_sentinel_sentinels: 'only for a Redis Sentinel target',
  vigil_redis_sentinel_quorum: 'only for a Redis Sentinel target',
  vigil_redis_sentinel_replicas: 'only for a Redis Sentinel target',
  vigil_redis_sentinel_master_info: 'only for a Redis Sentinel target',
  vigil_postgres_replication_slot_retained_bytes: 'only on a PostgreSQL with replication slots (the single test server has none)',
  vigil_postgres_replication_slot_safe_wal_size_bytes: 'only for a slot with max_slot_wal_keep_size set',
  vigil_postgres_replication_slot_wal_status: 'only on a PostgreSQL with replication slots',
  vigil_postgres_archiver_failed_total: 'only with archive_mode on',
  vigil_postgres_archiver_last_archive_age_seconds: 'only with archive_mode on, once a WAL file was archived',
  vigil_postgres_archiver_segments_waiting: 'only on a primary with archive_mode on',
  vigil_postgres_wal_receiver_streaming: 'only on a PostgreSQL standby',
};

/** Metric names in a PromQL expression (vigil series, recorded series, `up`, `ALERTS`). */
function seriesNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\b(vigil[:_][a-zA-Z0-9_:]+|up)\b(?!\s*\()/g)) names.add(m[1] as string);
  return [...names];
}

interface DashboardJson {
  title: string;
  templating: { list: { name: string; type: string; query: unknown; allValue?: string }[] };
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
}

t.setTimeout(240_000);

const dashboards = Object.keys(DASHBOARDS).map((file) => ({
  file,
  doc: JSON.parse(readFileSync(join(ROOT, 'deploy/grafana', file), 'utf8')) as DashboardJson,
}));

t.test('Prometheus scrapes a real agent: rules healthy, dashboards have data, alerts fire and resolve', async (t) => {
  const setupStarted = Date.now();
  // A 4 MiB tmpfs the test fills past the disk fail level (95 %).
  const mount = mkdtempSync(join(tmpdir(), 'vigil-fill-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', mount]);
  t.teardown(() => {
    execFileSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  // A 32 MiB tmpfs written at 128 KiB/s: the agent's time-to-full (a 10 s window here) exists
  // and is minutes, so VigilDiskFillingUpCritical fires. Writing stops at 24 MiB.
  const growing = mkdtempSync(join(tmpdir(), 'vigil-grow-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0755', 'tmpfs', growing]);
  const growth = setInterval(() => {
    const file = join(growing, 'growing.log');
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {}
    if (size < 24 * 1024 * 1024) appendFileSync(file, Buffer.alloc(32 * 1024, 1));
  }, 250);
  t.teardown(() => {
    clearInterval(growth);
    execFileSync('umount', ['-l', growing]);
    rmSync(growing, { recursive: true, force: true });
  });
  // A backup the backups probe finds fresh: its series exist for the rules and panels.
  const backupDir = mkdtempSync(join(tmpdir(), 'vigil-backups-'));
  writeFileSync(join(backupDir, 'dump.rdb'), 'REDIS0011');
  t.teardown(() => rmSync(backupDir, { recursive: true, force: true }));

  const pg = await anyPostgres(t);
  const redis = await ownRedis(t, { config: ['maxmemory 64mb'] });
  const broker = await brokerFor(t, kafkaVersions()[0] as string);
  const admin = await adminFor(t, broker);
  const topic = unique('orders');
  const group = unique('billing');
  await createTopic(admin, topic, 2);
  await produce(broker, topic, [40, 20]);
  await setOffsets(broker, group, topic, { 0: 10, 1: 5 }); // 45 messages behind

  // A certificate valid 20 days: the expiry series exist and the Warning fires.
  const certificateDir = mkdtempSync(join(tmpdir(), 'vigil-cert-'));
  t.teardown(() => rmSync(certificateDir, { recursive: true, force: true }));
  const certificate = join(certificateDir, 'api.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(certificateDir, 'api.key'),
      '-out',
      certificate,
      '-days',
      '20',
      '-subj',
      '/CN=api.consumers.test',
    ],
    { stdio: 'ignore' },
  );

  const port = await freePort();
  const dir = t.testdir({
    'vigil.yaml': [
      'defaults:',
      '  interval: 1s',
      '  timeout: 900ms',
      'probes:',
      '  cpu:',
      '    interval: 2s', // it measures over ≥ 1 s
      '    timeout: 1500ms',
      '  disk:',
      `    mount_points_include: '^(/|${mount.replace(/[.]/g, '\\.')}|${growing.replace(/[.]/g, '\\.')})$'`,
      '    time_to_full_window: 10s',
      '    time_to_full_min_samples: 5',
      '  backups:',
      '    rules:',
      '      - name: redis-dump',
      `        path: ${backupDir}/dump.rdb`,
      '        max_age: 1h',
      '        min_count: 1',
      '  postgres:',
      '    targets:',
      `      - name: main`,
      `        url: ${pg.url()}`,
      '  redis:',
      '    targets:',
      '      - name: cache',
      `        url: ${redis.url()}`,
      '  kafka:',
      '    targets:',
      '      - name: events',
      `        brokers: ['${broker.bootstrap}']`,
      '  certificates:',
      '    files:',
      `      - ${certificate}`,
      // The agent's own /health, and PostgreSQL's port: endpoints that stay up.
      '  http:',
      '    targets:',
      '      - name: self',
      `        url: http://127.0.0.1:${port}/health`,
      '  tcp:',
      '    targets:',
      '      - name: postgres',
      `        url: tcp://${pg.host}:${pg.port}`,
      '',
    ].join('\n'),
    // As shipped, with every `for:` at 2 s.
    'alerts.yaml': readFileSync(join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 2s'),
  });
  // Cache traffic (hits and misses), so the hit-ratio panel has lookups to divide by.
  const client = await redis.admin();
  await client.set('k', 'v');
  const traffic = setInterval(() => void Promise.all([client.get('k'), client.get('absent')]).catch(() => {}), 100);
  t.teardown(() => {
    clearInterval(traffic);
    client.disconnect();
  });
  // Tracing on, towards a loopback port nobody listens on: the agent's export-failure and drop
  // counters are real, as when a collector is down.
  const otlp = await freePort();
  const agent = spawnAgent(port, ['--config', join(dir, 'vigil.yaml')], {
    VIGIL_LOG_LEVEL: 'warn',
    NODE_NAME: NODE,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp}`,
    OTEL_BSP_SCHEDULE_DELAY: '500',
  });
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });
  const prom = await startPrometheus(t, { targets: [`127.0.0.1:${port}`], ruleFiles: [join(dir, 'alerts.yaml')], interval: '1s', labels: { node: NODE } });

  // Every probe has succeeded and been scraped (Kafka lag needs two cycles for seconds).
  const probes = ['disk', 'memory', 'cpu', 'postgres/main', 'redis/cache', 'kafka/events', 'backups', 'http/self', 'tcp/postgres', 'certificates'];
  try {
    await waitFor(
      async () =>
        (await prom.query('vigil_probe_success == 1')).length >= probes.length &&
        (await prom.query('vigil_kafka_consumergroup_lag_seconds')).length > 0 &&
        (await prom.query('vigil_filesystem_time_to_full_seconds')).length > 0 &&
        (await prom.query('vigil_tracing_export_failures_total > 0')).length > 0,
      60_000,
      500,
    );
  } catch {
    const state = async (expr: string) => `${expr}: ${JSON.stringify((await prom.query(expr)).map((s) => [s.metric, s.value[1]]))}`;
    t.fail(`not ready:\n${await state('vigil_probe_success')}\n${await state('vigil_tracing_export_failures_total')}`);
    return;
  }
  t.comment(`setup (tmpfs, Redis, Kafka broker, agent, Prometheus, first successful runs): ${Date.now() - setupStarted} ms`);

  await t.test('up == 1 and the scrape is healthy', async (t) => {
    const up = await prom.query('up{job="vigil"}');
    t.same(
      up.map((s) => s.value[1]),
      ['1'],
    );
    const [target] = await prom.targets();
    t.equal(target?.health, 'up');
    t.equal(target?.lastError, '');
    t.same((await prom.query('vigil_probe_success')).map((s) => s.metric.probe).sort(), [...probes].sort());
  });

  await t.test("every rule's health is ok", async (t) => {
    await waitFor(async () => (await prom.rules()).every((r) => r.health !== 'unknown'), 10_000, 200);
    const rules = await prom.rules();
    t.ok(rules.length >= 20, `${rules.length} rules loaded`);
    t.same(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      [],
    );
  });

  const names = new Set(await prom.metricNames());

  await t.test('every series a rule or dashboard names exists in the scrape (or is conditional)', async (t) => {
    const rules = await prom.rules();
    const referenced = new Map<string, string>();
    for (const r of rules) for (const n of seriesNames(r.query)) referenced.set(n, `rule ${r.name}`);
    for (const { file, doc } of dashboards) {
      for (const p of doc.panels) for (const target of p.targets ?? []) for (const n of seriesNames(target.expr)) referenced.set(n, `${file} / ${p.title}`);
      for (const v of doc.templating.list)
        if (v.type === 'query') for (const n of seriesNames(JSON.stringify(v.query))) referenced.set(n, `${file} / variable ${v.name}`);
    }
    t.ok(referenced.size > 40, `${referenced.size} series names referenced`);
    const missing = [...referenced].filter(([n]) => !names.has(n) && !(n in CONDITIONAL)).map(([n, where]) => `${n} (${where})`);
    t.same(missing, [], 'referenced and absent');
    for (const [n, reason] of Object.entries(CONDITIONAL)) if (!names.has(n)) t.comment(`conditional, absent here: ${n}: ${reason}`);
  });

  // Fill the tmpfs past 95 % used: the critical disk alert fires with its runbook labels.
  const fillStarted = Date.now();
  writeFileSync(join(mount, 'fill'), Buffer.alloc(Math.floor(3.92 * 1024 * 1024), 1));
  const diskAlert = (alerts: PromAlert[]) => alerts.find((a) => a.labels.alertname === 'VigilDiskSpaceCritical' && a.labels.mountpoint === mount);
  await t.test('a full disk fires VigilDiskSpaceCritical with severity and playbook', async (t) => {
    let alert: PromAlert | undefined;
    await waitFor(async () => (alert = diskAlert(await prom.alerts()))?.state === 'firing', 30_000, 250).catch(() => {});
    t.equal(alert?.state, 'firing', `firing ${Date.now() - fillStarted} ms after the fill`);
    t.match(alert?.labels, { severity: 'SEV2', alertname_group: 'VigilDiskSpace', node: NODE, fstype: 'tmpfs' });
    t.match(alert?.annotations, {
      playbook: 'Disk Space Full',
      runbook_url: 'README.md#disk-alerts',
      summary: new RegExp(`^Disk ${mount} is 9\\d(\\.\\d+)?% full$`),
    });
    t.match(alert?.annotations.description, new RegExp(`on ${NODE} has used`));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    t.match(readme, /^### Disk alerts$/m, 'the runbook_url anchor exists');
    t.comment(`VigilDiskSpaceCritical firing ${Date.now() - fillStarted} ms after the fill (for: 2s, 1 s scrape and evaluation)`);
  });

  await t.test('a certificate with 20 days left fires VigilCertificateExpiringSoon, not the critical one', async (t) => {
    const ours = (alerts: PromAlert[], name: string) => alerts.find((a) => a.labels.alertname === name && a.labels.source === certificate);
    let alert: PromAlert | undefined;
    await waitFor(async () => (alert = ours(await prom.alerts(), 'VigilCertificateExpiringSoon'))?.state === 'firing', 30_000, 250).catch(() => {});
    t.equal(alert?.state, 'firing');
    t.match(alert?.labels, { severity: 'SEV3', alertname_group: 'VigilCertificateExpiry', subject_cn: 'api.consumers.test', node: NODE });
    t.match(alert?.annotations, {
      playbook: 'Certificate Expiry',
      runbook_url: 'README.md#certificate-alerts',
      summary: `Certificate api.consumers.test of ${certificate} expires in 20.0 days`,
    });
    t.notOk(ours(await prom.alerts(), 'VigilCertificateExpiryCritical'));
    t.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /^### Certificate alerts$/m, 'the runbook_url anchor exists');
  });

  await t.test("a steady fill fires VigilDiskFillingUpCritical from the agent's own estimate", async (t) => {
    const filling = (alerts: PromAlert[]) => alerts.find((a) => a.labels.alertname === 'VigilDiskFillingUpCritical' && a.labels.mountpoint === growing);
    let alert: PromAlert | undefined;
    await waitFor(async () => (alert = filling(await prom.alerts()))?.state === 'firing', 30_000, 250).catch(() => {});
    t.equal(alert?.state, 'firing');
    t.match(alert?.labels, { severity: 'SEV2', alertname_group: 'VigilDiskFillingUp', node: NODE, fstype: 'tmpfs' });
    t.match(alert?.annotations, {
      playbook: 'Disk Space Full',
      runbook_url: 'README.md#disk-alerts',
      summary: new RegExp(`^Disk ${growing} will be full in \\d+m`),
    });
    const [ttf] = await prom.query(`vigil_filesystem_time_to_full_seconds{mountpoint="${growing}"}`);
    t.comment(`time to full of the steady fill: ${ttf?.value[1]} s (128 KiB/s into 32 MiB)`);
  });

  await t.test('every dashboard panel query returns at least one series, variables filled in', async (t) => {
    let queries = 0;
    for (const { file, doc } of dashboards) {
      const values: Record<string, string> = { __rate_interval: RATE_INTERVAL };
      const fill = (text: string) => text.replace(/\$(\w+)/g, (all, name: string) => values[name] ?? all);
      for (const v of doc.templating.list) {
        if (v.type !== 'query') continue;
        // label_values(selector, label), as Grafana's Prometheus datasource runs it.
        const m = /^label_values\((.+), (\w+)\)$/.exec(fill((v.query as { query: string }).query));
        t.ok(m, `${file}: variable ${v.name} is label_values(…)`);
        if (!m) continue;
        const found = [...new Set((await prom.query(`group by (${m[2]}) (${m[1]})`)).map((s) => s.metric[m[2] as string]).filter(Boolean))];
        // The first value, as a user picks one; "All" (allValue) where the label is not set here.
        values[v.name] = found.length > 0 ? (found[0] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&') : (v.allValue ?? '.*');
        if (v.name !== 'cluster') t.ok(found.length > 0, `${file}: variable ${v.name} has values (${found.join(', ')})`);
      }
      for (const p of doc.panels) {
        if (p.type === 'row') continue;
        let series = 0;
        // A panel whose every query names a series absent here for its CONDITIONAL reason
        // (the WAL receiver of a standby) is empty here by design.
        let unconditional = 0;
        for (const target of p.targets ?? []) {
          const expr = fill(target.expr);
          t.notMatch(expr, /\$\w/, `${file} / ${p.title}: every variable filled`);
          const result = await prom.query(expr);
          queries++;
          series += result.length;
          const conditional = seriesNames(expr).filter((n) => n in CONDITIONAL && !names.has(n));
          if (conditional.length === 0) {
            unconditional++;
            t.ok(result.length > 0, `${file} / ${p.title}: ${expr} → ${result.length} series`);
          }
        }
        if (unconditional > 0) t.ok(series > 0, `${file} / ${p.title} shows data`);
        else t.comment(`${file} / ${p.title}: every query conditional, ${series} series here`);
      }
    }
    t.comment(`${queries} panel queries run`);
  });

  await t.test('freeing the disk resolves the alert', async (t) => {
    rmSync(join(mount, 'fill'));
    const freed = Date.now();
    await waitFor(async () => !diskAlert(await prom.alerts()), 30_000, 250).catch(() => {});
    t.notOk(diskAlert(await prom.alerts()), `resolved ${Date.now() - freed} ms after freeing`);
  });

  const redisAlert = (alerts: PromAlert[]) => alerts.find((a) => a.labels.alertname === 'VigilRedisDown' && a.labels.target === 'cache');
  await t.test('stopping the Redis target fires VigilRedisDown; starting it resolves it', async (t) => {
    await redis.stop();
    const stopped = Date.now();
    let alert: PromAlert | undefined;
    await waitFor(async () => (alert = redisAlert(await prom.alerts()))?.state === 'firing', 30_000, 250).catch(() => {});
    t.equal(alert?.state, 'firing', `firing ${Date.now() - stopped} ms after the stop`);
    t.match(alert?.labels, { severity: 'SEV2', target: 'cache', node: NODE });
    t.match(alert?.annotations, { playbook: 'Redis Issues', runbook_url: 'README.md#datastore-alerts', summary: 'Redis target cache does not answer' });
    t.comment(`VigilRedisDown firing ${Date.now() - stopped} ms after redis-server stopped`);

    await redis.start();
    const restarted = Date.now();
    await waitFor(async () => !redisAlert(await prom.alerts()), 30_000, 250).catch(() => {});
    t.notOk(redisAlert(await prom.alerts()), `resolved ${Date.now() - restarted} ms after the restart`);
  });

  t.same(
    prom
      .log()
      .split('\n')
      .filter((l) => /level=error/.test(l)),
    [],
    'Prometheus logged no error',
  );
});
