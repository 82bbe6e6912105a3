// The `tracing:` config section: its values and defaults. The OTEL_* variables are applied over
// it when the agent plans its exporter (src/telemetry/settings.ts). Pure: no I/O.
import { parseDuration } from './duration.ts';

/** OTLP over HTTP only; the gRPC exporter (and its native-ish dependencies) is not shipped. */
export const TRACING_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type TracingProtocol = (typeof TRACING_PROTOCOLS)[number];

/** Routes that may get a SERVER span. */
export const TRACEABLE_ROUTES = ['/health/detailed', '/health', '/ready', '/metrics'] as const;
export type TraceableRoute = (typeof TRACEABLE_ROUTES)[number];

/** The resolved `tracing:` section (file only; the environment is applied by tracingPlan). */
export interface TracingConfig {
  readonly endpoint: string | null;
  readonly protocol: TracingProtocol;
  readonly headers: Readonly<Record<string, string>>;
  readonly sampleRatio: number;
  readonly httpRoutes: readonly TraceableRoute[];
  readonly exportTimeoutMs: number;
  readonly maxQueueSize: number;
}

export const TRACING_DEFAULTS: TracingConfig = Object.freeze({
  endpoint: null,
  protocol: 'http/protobuf',
  headers: Object.freeze({}),
  sampleRatio: 1,
  // Machines poll /health, /ready and /metrics every few seconds: a span each would drown the
  // probe traces. /health/detailed is what people (and dashboards) open.
  httpRoutes: Object.freeze(['/health/detailed'] as TraceableRoute[]),
  exportTimeoutMs: 10_000,
  maxQueueSize: 2048,
});

export interface RawTracingSection {
  endpoint?: string;
  protocol?: TracingProtocol;
  headers?: Record<string, string>;
  sample_ratio?: number;
  http_routes?: TraceableRoute[];
  export_timeout?: string;
  max_queue_size?: number;
}

/** The validated `tracing:` section with defaults applied. */
export function resolveTracingConfig(raw: RawTracingSection | undefined): TracingConfig {
  return {
    endpoint: raw?.endpoint ?? TRACING_DEFAULTS.endpoint,
    protocol: raw?.protocol ?? TRACING_DEFAULTS.protocol,
    headers: { ...(raw?.headers ?? {}) },
    sampleRatio: raw?.sample_ratio ?? TRACING_DEFAULTS.sampleRatio,
    httpRoutes: raw?.http_routes ? [...new Set(raw.http_routes)] : TRACING_DEFAULTS.httpRoutes,
    exportTimeoutMs: raw?.export_timeout !== undefined ? (parseDuration(raw.export_timeout) as number) : TRACING_DEFAULTS.exportTimeoutMs,
    maxQueueSize: raw?.max_queue_size ?? TRACING_DEFAULTS.maxQueueSize,
  };
}
