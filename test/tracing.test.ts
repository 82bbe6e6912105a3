// Tracing without a collector: settings (config vs OTEL_* variables), secret scrubbing, the
// WARN limiter, and the bounded pipeline's counting with the SDK's real span classes.
import t from 'tap';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resolveConfig } from '../src/config/load.ts';
import type { VigilError } from '../src/errors.ts';
import { MetricStore } from '../src/metrics/family.ts';
import { spansDropped, spansExported, exportFailures } from '../src/telemetry/metrics.ts';
import { BoundedSpanProcessor, GuardedExporter, scrubSpan } from '../src/telemetry/pipeline.ts';
import { PipelineCounters } from '../src/telemetry/counters.ts';
import { REDACTED, scrubAttributes, scrubText } from '../src/telemetry/sanitize.ts';
import { resolveTracingConfig, TRACING_DEFAULTS } from '../src/config/tracing.ts';
import { tracingPlan } from '../src/telemetry/settings.ts';
import { WarnLimiter } from '../src/telemetry/warn-limiter.ts';
import { captureLogs } from './helpers.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';

function configProblems(tracing: unknown): string[] {
  try {
    resolveConfig({ tracing }, 'vigil.yaml', {}, PROBE_SECTIONS);
    return [];
  } catch (err) {
    return (err as VigilError).problems as string[];
  }
}

t.test('the tracing section: defaults, validation, gRPC refused with a clear message', async (t) => {
  const plain = resolveConfig({}, null, {}, PROBE_SECTIONS);
  t.same(plain.tracing, { ...TRACING_DEFAULTS, headers: {} });
  const full = resolveConfig(
    {
      tracing: {
        endpoint: 'http://collector:4318',
        protocol: 'http/json',
        headers: { authorization: 'Bearer x' },
        sample_ratio: 0.25,
        http_routes: ['/health/detailed', '/ready'],
        export_timeout: '2s',
        max_queue_size: 100,
      },
    },
    null,
    {},
    PROBE_SECTIONS,
  );
  t.same(full.tracing, {
    endpoint: 'http://collector:4318',
    protocol: 'http/json',
    headers: { authorization: 'Bearer x' },
    sampleRatio: 0.25,
    httpRoutes: ['/health/detailed', '/ready'],
    exportTimeoutMs: 2000,
    maxQueueSize: 100,
  });
  t.match(configProblems({ protocol: 'grpc' }), [/tracing\.protocol: .*gRPC is not supported.*4318/]);
  t.match(configProblems({ endpoint: 'collector:4318' }), [/tracing\.endpoint: must be an http:\/\/ or https:\/\/ URL/]);
  t.match(configProblems({ sample_ratio: 2 }), [/tracing\.sample_ratio: must be a number from 0 to 1/]);
  t.match(configProblems({ http_routes: ['/admin'] }), [/tracing\.http_routes\.0: must be one of/]);
  t.match(configProblems({ max_queue_size: 0 }), [/tracing\.max_queue_size: must be an integer/]);
  t.match(configProblems({ colour: 'blue' }), [/tracing\.colour: unknown key/]);
});

t.test('tracing is off until an endpoint is set; the OTEL_* variables win over the file', async (t) => {
  const none = resolveTracingConfig(undefined);
  t.same(tracingPlan(none, {}), { enabled: false, reason: '', problem: false }, 'no endpoint: silently off');

  const file = resolveTracingConfig({ endpoint: 'http://collector:4318', sample_ratio: 0.5, headers: { 'x-team': 'ops', authorization: 'file' } });
  const fromFile = tracingPlan(file, {});
  t.match(fromFile, {
    enabled: true,
    url: 'http://collector:4318/v1/traces',
    protocol: 'http/protobuf',
    sampler: { ratio: 0.5 },
    sources: { endpoint: 'tracing.endpoint' },
  });
  t.match(tracingPlan(resolveTracingConfig({ endpoint: 'http://c:4318/v1/traces' }), {}), { url: 'http://c:4318/v1/traces' }, 'a full traces URL is kept');

  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env-collector:4318/',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20env',
    OTEL_EXPORTER_OTLP_TIMEOUT: '1500',
    OTEL_BSP_MAX_QUEUE_SIZE: '64',
    OTEL_TRACES_SAMPLER: 'always_off',
  };
  t.match(tracingPlan(file, env), {
    enabled: true,
    url: 'http://env-collector:4318/v1/traces',
    protocol: 'http/json',
    headers: { 'x-team': 'ops', authorization: 'Bearer env' },
    exportTimeoutMs: 1500,
    maxQueueSize: 64,
    sampler: 'env',
    sources: { endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT', protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL' },
  });
  t.match(
    tracingPlan(file, { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom' }),
    { url: 'https://traces.example/custom' },
    'the traces endpoint is used as is',
  );
  t.match(tracingPlan(none, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), { enabled: true }, 'env alone turns tracing on');

  const grpc = tracingPlan(file, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  t.match(grpc, { enabled: false, problem: true, reason: /OTEL_EXPORTER_OTLP_PROTOCOL=grpc: gRPC is not supported: set http\/protobuf .*4318/ });
  t.match(tracingPlan(file, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }), {
    enabled: false,
    problem: true,
    reason: /must be http\/protobuf or http\/json/,
  });
  t.match(tracingPlan(file, { OTEL_SDK_DISABLED: 'TRUE' }), { enabled: false, problem: false, reason: 'OTEL_SDK_DISABLED=true' });
  t.match(tracingPlan(file, { OTEL_TRACES_EXPORTER: 'none' }), { enabled: false, problem: false });
  t.match(tracingPlan(file, { OTEL_TRACES_EXPORTER: 'zipkin' }), { enabled: false, problem: true, reason: /not supported/ });
  t.match(tracingPlan(none, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), { enabled: false, problem: true, reason: /not an http/ });
});

t.test('secrets are scrubbed from span data', async (t) => {
  t.equal(scrubText('connect to postgres://vigil:s3cret@db:5432/app failed'), 'connect to postgres://vigil:***@db:5432/app failed');
  t.equal(scrubText('redis://:hunter2@cache:6379/0'), 'redis://:***@cache:6379/0');
  t.equal(scrubText('host=db user=vigil password=s3cret dbname=app'), `host=db user=vigil password=${REDACTED} dbname=app`);
  t.equal(scrubText('https://h/x?sslpassword=abc&token=def&x=1'), `https://h/x?sslpassword=${REDACTED}&token=${REDACTED}&x=1`);
  t.equal(scrubText('ECONNREFUSED 127.0.0.1:5432'), 'ECONNREFUSED 127.0.0.1:5432', 'ordinary text untouched');

  const clean = { 'server.address': 'db', 'server.port': 5432 };
  t.equal(scrubAttributes(clean), clean, 'nothing to scrub: the same object, no copy');
  t.same(scrubAttributes({ 'db.connection_string': 'postgres://u:pw@h/db', 'auth.token': 'abc', 'sasl.password': 'x', list: ['a', 'amqp://u:p@h'] }), {
    'db.connection_string': 'postgres://u:***@h/db',
    'auth.token': REDACTED,
    'sasl.password': REDACTED,
    list: ['a', 'amqp://u:***@h'],
  });

  const provider = new BasicTracerProvider();
  const span = provider.getTracer('t').startSpan('SELECT', { attributes: { 'db.connection_string': 'postgres://u:pw@h/db', 'server.port': 5432 } });
  span.addEvent('exception', { 'exception.message': 'auth failed for postgres://u:pw@h/db' });
  span.setStatus({ code: 2, message: 'password=pw rejected' });
  span.end();
  const original = span as unknown as ReadableSpan;
  const scrubbed = scrubSpan(original);
  t.equal(scrubbed.attributes['db.connection_string'], 'postgres://u:***@h/db');
  t.equal(scrubbed.attributes['server.port'], 5432);
  t.equal(scrubbed.events[0]?.attributes?.['exception.message'], 'auth failed for postgres://u:***@h/db');
  t.equal(scrubbed.status.message, `password=${REDACTED} rejected`);
  t.equal(scrubbed.spanContext().spanId, original.spanContext().spanId, 'still the same span for the serializer');
  t.equal(original.attributes['db.connection_string'], 'postgres://u:pw@h/db', 'the span itself is not modified');
  await provider.shutdown();
});

t.test('one WARN per period, with the count of what was suppressed; one INFO on recovery', async (t) => {
  const { logger, lines } = captureLogs();
  let now = 0;
  const limiter = new WarnLimiter(logger, 60_000, () => now);
  limiter.recovered('x.ok', {}, 'nothing was wrong: silent');
  for (let i = 0; i < 100; i++) {
    limiter.warn('x.failed', { i }, 'failed');
    now += 1000; // one failure a second for 100 s
  }
  limiter.recovered('x.ok', {}, 'back');
  limiter.recovered('x.ok', {}, 'back again: silent');
  t.same(
    lines.map((l) => [l.level, l.event, (l.details as Record<string, unknown>).similar_warnings_suppressed]),
    [
      ['WARN', 'x.failed', 0],
      ['WARN', 'x.failed', 59],
      ['INFO', 'x.ok', undefined],
    ],
  );
});

/** An exporter under the test's control: holds each batch until told how it went. */
class HeldExporter implements SpanExporter {
  readonly batches: { spans: ReadableSpan[]; done: (r: ExportResult) => void }[] = [];
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.batches.push({ spans, done });
  }
  async shutdown(): Promise<void> {}
}

t.test('the queue is bounded: spans beyond it are dropped and counted; failed batches too', async (t) => {
  const { logger, lines } = captureLogs();
  const metrics = new MetricStore();
  const counters = new PipelineCounters(metrics);
  counters.enable();
  const warnings = new WarnLimiter(logger);
  const held = new HeldExporter();
  const processor = new BoundedSpanProcessor(new GuardedExporter(held, counters, warnings, 'http://collector:4318/v1/traces'), counters, warnings, {
    maxQueueSize: 5,
    exportTimeoutMs: 60_000,
  });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('t');
  for (let i = 0; i < 20; i++) tracer.startSpan(`s${i}`).end();

  // A full queue (5) is handed over at once; the exporter holds it; 5 more queue; 10 are dropped.
  t.equal(held.batches.length, 1);
  t.equal(held.batches[0]?.spans.length, 5);
  t.equal(counters.queued, 5);
  t.equal(metrics.value(spansDropped, { reason: 'queue_full' }), 10);

  held.batches[0]?.done({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') });
  t.equal(metrics.value(spansDropped, { reason: 'export_failed' }), 5);
  t.equal(metrics.value(exportFailures, {}), 1);

  const flushed = processor.forceFlush();
  t.equal(held.batches.length, 2);
  held.batches[1]?.done({ code: ExportResultCode.SUCCESS });
  await flushed;
  t.equal(metrics.value(spansExported, {}), 5);
  t.equal(counters.queued, 0);

  const warns = lines.filter((l) => l.level === 'WARN');
  t.equal(warns.length, 1, 'one WARN for ten drops and a failed export');
  t.equal(warns[0]?.event, 'tracing.queue_full');
  t.match(lines.at(-1), { level: 'INFO', event: 'tracing.export_recovered' });
  const { body } = await metrics.render(undefined);
  t.match(body, /vigil_tracing_spans_dropped_total\{reason="queue_full"\} 10/);
  t.match(body, /vigil_tracing_queue_spans 0/);
  await provider.shutdown();
});
