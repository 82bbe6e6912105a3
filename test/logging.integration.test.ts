// Vigil's log lines in a real search engine: OpenSearch 2.19 (Maven Central jars, scripts/
// opensearch.ts) with deploy/logging/index-template.json applied, fed the lines of a real agent
// whose PostgreSQL probe fails, two ways:
//   - Debian's rsyslog tailing the agent's output file (imfile → mmjsonparse → omelasticsearch,
//     bulk mode): a real tailing shipper;
//   - _bulk requests shaped as Fluent Bit's es output sends them, built from the settings in
//     deploy/logging/fluent-bit/ (CRI parser Regex, Merge_Log lifting, Logstash_Prefix and
//     Logstash_DateFormat, Time_Key). Fluent Bit itself is not installable here and not run.
// Asserts: the template applies to both indices, no document is rejected, no mapping conflict,
// `timestamp` is a date, and trace_id / request_id / level:ERROR find the failing run's lines.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../bench/lib.ts';
import { startOpenSearch } from '../scripts/opensearch.ts';
import { indexTemplate } from '../scripts/write-index-template.ts';
import { spawnAgent, waitFor } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLUENT_BIT = join(ROOT, 'deploy/logging/fluent-bit');

t.setTimeout(240_000);

/** `Key Value` settings of the first `[SECTION]` whose Name is `name`, from a Fluent Bit classic config. */
function fluentBitSection(file: string, section: string, name: string): Record<string, string> {
  const blocks = readFileSync(join(FLUENT_BIT, file), 'utf8').split(/^\[/m).slice(1);
  for (const block of blocks) {
    const [head, ...lines] = block.split('\n');
    if (head?.trim() !== `${section}]`) continue;
    const settings: Record<string, string> = {};
    for (const line of lines) {
      const m = /^\s+([\w.-]+)\s+(.+?)\s*$/.exec(line);
      if (m && !line.trim().startsWith('#')) settings[m[1] as string] = m[2] as string;
    }
    if (settings.Name === name) return settings;
  }
  throw new Error(`${file}: no [${section}] named ${name}`);
}

/** strftime for the Logstash_DateFormat subset Fluent Bit users write (%Y %m %d), in UTC. */
function strftime(format: string, date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return format
    .replace(/%Y/g, String(date.getUTCFullYear()))
    .replace(/%m/g, pad(date.getUTCMonth() + 1))
    .replace(/%d/g, pad(date.getUTCDate()));
}

t.test('agent log lines land in OpenSearch through rsyslog and as Fluent Bit sends them', async (t) => {
  const started = Date.now();
  const os = await startOpenSearch();
  t.teardown(() => os.destroy());
  t.comment(`OpenSearch ready in ${Date.now() - started} ms (pid ${os.pid})`);

  // The template, as users install it.
  const put = await os.request<{ acknowledged: boolean }>('PUT', '/_index_template/vigil', indexTemplate());
  t.equal(put.acknowledged, true, 'index template accepted');

  // Real lines of an agent whose PostgreSQL target refuses connections, with tracing on (towards
  // a port nobody listens on) so the run's lines carry its trace_id.
  const closed = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'vigil.yaml'),
    [
      'http:',
      '  drain_delay: 1ms',
      'defaults:',
      '  interval: 1s',
      '  timeout: 900ms',
      'probes:',
      '  cpu:',
      '    enabled: false',
      '  postgres:',
      '    targets:',
      '      - name: orders',
      `        url: postgres://vigil@127.0.0.1:${closed}/orders`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const agent = spawnAgent(port, ['--config', join(dir, 'vigil.yaml')], {
    VIGIL_LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    OTEL_BSP_SCHEDULE_DELAY: '500',
  });
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });
  const requestId = `req-${process.pid}-${Date.now()}`;
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok === true, 20_000, 100);
  await fetch(`http://127.0.0.1:${port}/health/detailed`, { headers: { 'x-request-id': requestId } });
  // The run that finds the target down logs its check turning fail (ERROR, once: Vigil logs
  // transitions, not every run) inside the run's span.
  const failedRun = () =>
    agent.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === 'check.transition' && l.level === 'ERROR' && (l.details as { probe?: string })?.probe === 'postgres/orders' && l.trace_id);
  await waitFor(() => !!failedRun() && agent.lines.some((l) => l.includes(requestId)), 20_000, 100);
  agent.child.kill('SIGTERM');
  await agent.exit;
  const lines = agent.lines;
  const failed = failedRun() as { trace_id: string; span_id: string; level: string };
  const runLines = lines.filter((l) => l.includes(failed.trace_id));
  t.ok(runLines.length >= 1, `${runLines.length} line(s) of the failing run carry its trace_id`);
  t.comment(`${lines.length} agent lines`);

  // --- rsyslog: imfile → mmjsonparse → omelasticsearch (bulk) --------------------------------
  const esOut = fluentBitSection('fluent-bit.conf', 'OUTPUT', 'es');
  const prefix = esOut.Logstash_Prefix as string;
  const dateFormat = esOut.Logstash_DateFormat as string;
  const rsyslogPrefix = `${prefix}-rsyslog`;
  const logFile = join(dir, 'vigil.log');
  writeFileSync(logFile, `${lines.join('\n')}\n`);
  const work = join(dir, 'rsyslog');
  (await import('node:fs')).mkdirSync(work);
  const errorFile = join(dir, 'es-errors.json');
  // Index by the line's own timestamp (UTC), daily, as Logstash_DateFormat %Y.%m.%d.
  const conf = `
global(workDirectory="${work}")
module(load="imfile" mode="polling" PollingInterval="1")
module(load="mmjsonparse")
module(load="omelasticsearch")
template(name="vigil-index" type="list") {
  constant(value="${rsyslogPrefix}-")
  property(name="$!timestamp" position.from="1" position.to="4")
  constant(value=".")
  property(name="$!timestamp" position.from="6" position.to="7")
  constant(value=".")
  property(name="$!timestamp" position.from="9" position.to="10")
}
template(name="vigil-doc" type="list") { property(name="$!all-json") }
ruleset(name="vigil") {
  action(type="mmjsonparse" cookie="")
  if $parsesuccess == "OK" then {
    action(type="omelasticsearch" server="127.0.0.1" serverport="${os.port}" template="vigil-doc"
           searchIndex="vigil-index" dynSearchIndex="on" bulkmode="on" esVersion.major="8"
           errorFile="${errorFile}" action.resumeRetryCount="-1")
  }
}
input(type="imfile" File="${logFile}" Tag="vigil" ruleset="vigil" freshStartTail="off")
`;
  writeFileSync(join(dir, 'rsyslog.conf'), conf);
  const rsyslog = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let rsyslogOut = '';
  rsyslog.stdout!.setEncoding('utf8').on('data', (c: string) => (rsyslogOut += c));
  rsyslog.stderr!.setEncoding('utf8').on('data', (c: string) => (rsyslogOut += c));
  t.teardown(async () => {
    if (rsyslog.exitCode === null && rsyslog.signalCode === null) {
      rsyslog.kill('SIGTERM');
      await once(rsyslog, 'exit');
    }
  });
  const count = async (index: string) => {
    await os.request('POST', `/${index}/_refresh`).catch(() => {});
    return (await os.request<{ count: number }>('GET', `/${index}/_count`).catch(() => ({ count: 0 }))).count;
  };
  const shipped = Date.now();
  await waitFor(async () => (await count(`${rsyslogPrefix}-*`)) >= lines.length, 60_000, 500).catch(() => {});
  t.equal(await count(`${rsyslogPrefix}-*`), lines.length, `rsyslog indexed every line (${Date.now() - shipped} ms)`) || t.comment(rsyslogOut);
  t.notOk(existsSync(errorFile) && readFileSync(errorFile, 'utf8').trim(), 'omelasticsearch wrote no rejected document');

  // --- as Fluent Bit sends them: CRI line → parser → kubernetes Merge_Log → es _bulk ---------
  const parser = fluentBitSection('parsers.conf', 'PARSER', 'cri');
  const cri = new RegExp(parser.Regex as string);
  t.equal(esOut.Time_Key, '@timestamp');
  t.equal(esOut.Suppress_Type_Name, 'On');
  const kubernetes = {
    pod_name: 'vigil-abcde',
    namespace_name: 'monitoring',
    container_name: 'vigil',
    host: 'node-a',
    labels: { 'app_kubernetes_io/name': 'vigil' },
  };
  const body: string[] = [];
  let fluentIndex = '';
  for (const line of lines) {
    const runtimeTime = new Date(); // what containerd stamps
    const criLine = `${runtimeTime.toISOString().replace('Z', '000000Z')} stdout F ${line}`;
    const m = cri.exec(criLine);
    t.ok(m?.groups?.log === line, 'the CRI Regex of parsers.conf takes the line apart');
    if (!m?.groups) continue;
    const record = {
      [esOut.Time_Key as string]: runtimeTime.toISOString(),
      stream: m.groups.stream,
      logtag: m.groups.logtag,
      kubernetes,
      ...(JSON.parse(m.groups.log as string) as object),
    };
    fluentIndex = `${prefix}-${strftime(dateFormat, runtimeTime)}`;
    body.push(JSON.stringify({ create: { _index: fluentIndex } }), JSON.stringify(record));
  }
  const bulk = await os.request<{ errors: boolean; items: { create: { status: number; error?: unknown } }[] }>(
    'POST',
    '/_bulk',
    `${body.join('\n')}\n`,
    'application/x-ndjson',
  );
  t.equal(bulk.errors, false, '_bulk: no item rejected');
  t.same(
    bulk.items.filter((i) => i.create.status !== 201).map((i) => i.create.error),
    [],
  );
  t.match(fluentIndex, /^vigil-\d{4}\.\d{2}\.\d{2}$/, 'logstash-style daily index');
  t.equal(await count(fluentIndex), lines.length);

  // --- the template applied, no conflicts, timestamp a date --------------------------------
  const mappings = await os.request<Record<string, { mappings: { dynamic?: string | boolean; properties: Record<string, { type?: string }> } }>>(
    'GET',
    '/vigil-*/_mapping',
  );
  t.equal(Object.keys(mappings).length, 2, `two indices: ${Object.keys(mappings).join(', ')}`);
  for (const [index, { mappings: m }] of Object.entries(mappings)) {
    t.equal(m.properties.timestamp?.type, 'date', `${index}: timestamp is a date`);
    t.equal(m.properties.level?.type, 'keyword', `${index}: level is a keyword`);
    t.equal(m.properties.trace_id?.type, 'keyword');
    t.equal(m.properties.duration_ms?.type, 'double');
    t.equal(m.properties.details?.type, 'flat_object', `${index}: details cannot add mapped fields`);
    t.same(
      Object.keys(m.properties).filter((k) => !(k in (indexTemplate() as { template: { mappings: { properties: object } } }).template.mappings.properties)),
      [],
      `${index}: nothing mapped beyond the template`,
    );
  }
  const ignored = await os.request<{ hits: { total: { value: number } } }>('POST', '/vigil-*/_search', {
    query: { exists: { field: '_ignored' } },
    size: 0,
    track_total_hits: true,
  });
  t.equal(ignored.hits.total.value, 0, 'no field was ignored as malformed or too long');

  // --- what on-call searches for ------------------------------------------------------------
  const search = (query: unknown) =>
    os.request<{ hits: { total: { value: number }; hits: { _index: string; _source: Record<string, unknown> }[] } }>('POST', '/vigil-*/_search', {
      query,
      size: 100,
      track_total_hits: true,
    });
  for (const index of [rsyslogPrefix, prefix]) {
    const inIndex = (q: unknown) => ({ bool: { must: [q], filter: [{ wildcard: { _index: `${index}-2*` } }] } });
    const byTrace = await search(inIndex({ term: { trace_id: failed.trace_id } }));
    t.equal(byTrace.hits.total.value, runLines.length, `${index}: trace_id finds the failing run's ${runLines.length} lines`);
    t.ok(
      byTrace.hits.hits.some((h) => h._source.event === 'check.transition' && h._source.span_id === failed.span_id),
      `${index}: including the check turning fail`,
    );
    const byRequest = await search(inIndex({ term: { request_id: requestId } }));
    t.equal(byRequest.hits.total.value, 1, `${index}: request_id finds the access line`);
    t.match(byRequest.hits.hits[0]?._source, { path: '/health/detailed', event: 'http.access' });
    const errors = await search(inIndex({ query_string: { query: 'level:ERROR' } }));
    t.ok(
      errors.hits.hits.some((h) => h._source.trace_id === failed.trace_id),
      `${index}: level:ERROR finds the failing run (${errors.hits.total.value} ERROR lines)`,
    );
    t.ok(errors.hits.hits.every((h) => h._source.level === 'ERROR'));
    const byDetails = await search(inIndex({ query_string: { query: 'level:ERROR AND details.probe:"postgres/orders"' } }));
    t.ok(byDetails.hits.total.value >= 1, `${index}: details (flat_object) are searchable by path`);
    const recent = await os.request<{ hits: { total: { value: number } }; aggregations: { per_minute: { buckets: unknown[] } } }>(
      'POST',
      `/${index}-2*/_search`,
      {
        query: { range: { timestamp: { gte: 'now-10m', lte: 'now+1m' } } },
        aggs: { per_minute: { date_histogram: { field: 'timestamp', fixed_interval: '1m' } } },
        size: 0,
        track_total_hits: true,
      },
    );
    t.equal(recent.hits.total.value, lines.length, `${index}: a date range on timestamp finds every line`);
    t.ok(recent.aggregations.per_minute.buckets.length >= 1, `${index}: date_histogram over timestamp`);
  }
  t.comment(`ingestion test body: ${Date.now() - started} ms`);
});
