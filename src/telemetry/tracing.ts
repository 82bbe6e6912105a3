// Starts the OpenTelemetry SDK when an endpoint is configured; otherwise nothing is loaded, not
// even the API, and every span in the agent is the inert one of src/otel.ts. The SDK is
// assembled from the small packages the OTLP/HTTP traces path needs (not the NodeSDK, which
// loads every exporter, the metrics and logs SDKs and the instrumentation machinery): a
// BasicTracerProvider (OTEL_TRACES_SAMPLER and the span limits from the environment), the
// AsyncLocalStorage context manager (so a probe run's span is the parent of everything its
// collect() does), the W3C propagators (OTEL_PROPAGATORS), the env resource detector, and the
// bounded, counted pipeline of pipeline.ts. Probes make their driver spans with traced(): no
// instrumentation bundle.
import type { DiagLogger, TextMapPropagator } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Identity } from '../config/load.ts';
import { formatDuration } from '../config/duration.ts';
import { componentLogger, type Logger } from '../log/logger.ts';
import type { MetricStore } from '../metrics/family.ts';
import { redactUrl } from '../redact.ts';
import { PipelineCounters } from './counters.ts';
import { loadOtelApi, type Api } from '../otel.ts';
import type { TracingPlan } from './settings.ts';
import { WarnLimiter } from './warn-limiter.ts';

export interface TracingDeps {
  readonly logger: Logger;
  readonly metrics: MetricStore;
  readonly service: { readonly name: string };
  readonly version: string;
  readonly identity: Identity;
  /** For NODE_NAME and OTEL_LOG_LEVEL; the SDK itself reads the other OTEL_* from process.env. */
  readonly env: NodeJS.ProcessEnv;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Starts exporting what is queued now, without waiting for the batch delay. Never throws. */
  flush(): void;
  /** Exports what is still queued, for at most `timeoutMs`, then stops the SDK. Never throws. */
  shutdown(timeoutMs: number): Promise<void>;
}

const OFF: Tracing = Object.freeze({ enabled: false, flush: () => undefined, shutdown: async () => undefined });

export async function startTracing(plan: TracingPlan, deps: TracingDeps): Promise<Tracing> {
  const log = componentLogger(deps.logger, 'tracing');
  const counters = new PipelineCounters(deps.metrics);
  if (!plan.enabled) {
    counters.disable();
    if (plan.problem) log.warn({ event: 'tracing.disabled', details: { reason: plan.reason } }, plan.reason);
    else if (plan.reason) log.info({ event: 'tracing.disabled', details: { reason: plan.reason } }, `tracing is off: ${plan.reason}`);
    return OFF;
  }
  try {
    return await startSdk(plan, deps, log, counters);
  } catch (err) {
    // Traces are diagnostics: the agent runs without them rather than not at all.
    counters.disable();
    log.warn({ event: 'tracing.start_failed', error: err }, `tracing is off: the OpenTelemetry SDK did not start: ${(err as Error).message}`);
    return OFF;
  }
}

async function startSdk(plan: Extract<TracingPlan, { enabled: true }>, deps: TracingDeps, log: Logger, counters: PipelineCounters): Promise<Tracing> {
  // Loaded only when needed: the SDK is a few MiB of modules an agent without a collector
  // should not carry.
  const [api, { BoundedSpanProcessor, GuardedExporter }, resources, semconv, sdkTrace, core, { AsyncLocalStorageContextManager }] = await Promise.all([
    loadOtelApi(),
    import('./pipeline.ts'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
  ]);
  const warnings = new WarnLimiter(log);
  const url = redactUrl(plan.url);
  const exporterOptions = {
    url: plan.url,
    headers: { ...plan.headers },
    timeoutMillis: plan.exportTimeoutMs,
    // The batch processor sends one batch at a time; a second slot lets the shutdown flush
    // start while a slow request is still pending.
    concurrencyLimit: 2,
  };
  const otlp: SpanExporter =
    plan.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(exporterOptions)
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(exporterOptions);
  const exporter = new GuardedExporter(otlp, counters, warnings, url);
  const processor = new BoundedSpanProcessor(exporter, counters, warnings, { maxQueueSize: plan.maxQueueSize, exportTimeoutMs: plan.exportTimeoutMs });

  const { env, identity } = deps;
  const own: Record<string, string> = {
    [semconv.ATTR_SERVICE_NAME]: deps.service.name,
    [semconv.ATTR_SERVICE_VERSION]: deps.version,
    'host.name': identity.hostname,
  };
  if (env.NODE_NAME) own['k8s.node.name'] = env.NODE_NAME;
  if (identity.podName) own['k8s.pod.name'] = identity.podName;
  if (identity.namespace) own['k8s.namespace.name'] = identity.namespace;

  const sampler =
    plan.sampler === 'env'
      ? undefined // the SDK reads OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
      : new sdkTrace.ParentBasedSampler({ root: new sdkTrace.TraceIdRatioBasedSampler(plan.sampler.ratio) });

  // Before the SDK, so that its complaints while starting (a bad OTEL_TRACES_SAMPLER…) are heard.
  const { context, diag, DiagLogLevel, propagation, trace } = api;
  const diagLevel = env.OTEL_LOG_LEVEL ? (core.diagLogLevelFromString(env.OTEL_LOG_LEVEL) ?? DiagLogLevel.WARN) : DiagLogLevel.WARN;
  diag.setLogger(diagToLogger(log, warnings), { logLevel: diagLevel, suppressOverrideMessage: true });

  // Ours, then the env detector's (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME) over it. Not the
  // host and process detectors: they read files and add the command line.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes(own))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new sdkTrace.BasicTracerProvider({
    resource,
    spanProcessors: [processor],
    ...(sampler ? { sampler } : {}),
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const propagator = propagatorFromEnv(api, core, env);
  if (propagator) propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
  counters.enable();

  const sampling = plan.sampler === 'env' ? `${env.OTEL_TRACES_SAMPLER} (OTEL_TRACES_SAMPLER)` : `ratio ${plan.sampler.ratio}`;
  log.info(
    {
      event: 'tracing.started',
      details: {
        endpoint: url, // not `url`: the logger blanks details.url (connection strings)
        protocol: plan.protocol,
        endpoint_from: plan.sources.endpoint,
        sampler: sampling,
        http_routes: plan.httpRoutes,
        export_timeout_ms: plan.exportTimeoutMs,
        max_queue_size: plan.maxQueueSize,
      },
    },
    `exporting traces to ${url} (${plan.protocol}, sampler ${sampling}, timeout ${formatDuration(plan.exportTimeoutMs)})`,
  );

  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    flush(): void {
      processor.forceFlush().catch(() => undefined); // failures are counted and logged by the pipeline
    },
    shutdown(timeoutMs: number): Promise<void> {
      stopped ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const flushed = await Promise.race([
          provider.shutdown().then(
            () => true,
            () => true, // an export failure is already counted and logged by the pipeline
          ),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
        ]);
        clearTimeout(timer);
        const lost = counters.close();
        const details = {
          flushed,
          spans_exported_total: counters.total('exported'),
          spans_dropped_total: counters.total('export_failed') + counters.total('queue_full') + counters.total('shutdown'),
          spans_lost_at_shutdown: lost,
        };
        // Once per process: a WARN when spans are lost, so that the loss is seen.
        if (flushed && lost === 0) log.info({ event: 'tracing.stopped', details }, 'traces flushed');
        else log.warn({ event: 'tracing.stopped', details }, `traces not flushed within ${formatDuration(timeoutMs)}: ${lost} spans lost`);
        diag.disable();
      })();
      return stopped;
    },
  };
}

/**
 * OTEL_PROPAGATORS as the spec reads it: unset or empty is W3C trace context + baggage, `none`
 * registers nothing. Only the W3C propagators are shipped; b3 and jaeger are refused with a WARN.
 */
function propagatorFromEnv(api: Api, core: typeof import('@opentelemetry/core'), env: NodeJS.ProcessEnv): TextMapPropagator | null {
  const names = [
    ...new Set(
      (env.OTEL_PROPAGATORS ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  const w3c = () => new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] });
  if (names.length === 0) return w3c();
  if (names.includes('none')) return null;
  const propagators: TextMapPropagator[] = [];
  for (const name of names) {
    if (name === 'tracecontext') propagators.push(new core.W3CTraceContextPropagator());
    else if (name === 'baggage') propagators.push(new core.W3CBaggagePropagator());
    else api.diag.warn(`OTEL_PROPAGATORS: propagator "${name}" is not supported (only tracecontext and baggage); it is ignored`);
  }
  return propagators.length > 0 ? new core.CompositePropagator({ propagators }) : null;
}

/**
 * The SDK's own complaints (errors of a failed export among them) go to Vigil's log, through
 * the same one-WARN-per-period limit as the pipeline's: never a line per failed export.
 */
function diagToLogger(log: Logger, warnings: WarnLimiter): DiagLogger {
  const text = (message: string, args: unknown[]) =>
    [message, ...args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a)))].join(' ');
  const warn = (message: string, ...args: unknown[]) => warnings.warn('tracing.sdk_warning', {}, `OpenTelemetry SDK: ${text(message, args)}`);
  const debug = (message: string, ...args: unknown[]) => log.debug({ event: 'tracing.sdk_debug' }, `OpenTelemetry SDK: ${text(message, args)}`);
  return { error: warn, warn, info: debug, debug, verbose: debug };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 500) ?? String(value);
  } catch {
    return String(value);
  }
}
