// Tracing settings: the `tracing:` config section, then the standard OTEL_* variables over it.
// The environment wins, as VIGIL_* variables win over the file: a platform team sets OTEL_* for
// every pod of a cluster, and a one-off override needs no ConfigMap change. Pure: no I/O.
import { createRequire } from 'node:module';
import { parseDuration } from '../config/duration.ts';

// @opentelemetry/core is loaded only once tracing is on (an agent without a collector skips it).
const require = createRequire(import.meta.url);

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

/** What to run: either an exporter configuration, or why tracing stays off. */
export type TracingPlan =
  | {
      readonly enabled: true;
      /** Full URL of the traces endpoint (…/v1/traces). */
      readonly url: string;
      readonly protocol: TracingProtocol;
      readonly headers: Readonly<Record<string, string>>;
      /** `env` when OTEL_TRACES_SAMPLER is set (the SDK reads it), else the config's ratio. */
      readonly sampler: 'env' | { readonly ratio: number };
      readonly exportTimeoutMs: number;
      readonly maxQueueSize: number;
      readonly httpRoutes: readonly TraceableRoute[];
      /** Where each setting came from, for the start-up log line. */
      readonly sources: Readonly<Record<'endpoint' | 'protocol', string>>;
    }
  | {
      readonly enabled: false;
      /** Empty when tracing is simply not configured (the normal, silent case). */
      readonly reason: string;
      /** A setting asks for something Vigil cannot do: worth one WARN at start-up. */
      readonly problem: boolean;
    };

const TRACES_PATH = 'v1/traces';

export function tracingPlan(config: TracingConfig, env: NodeJS.ProcessEnv): TracingPlan {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  if (get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true', problem: false };
  const exporter = get('OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporter === 'none') return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none', problem: false };
  if (exporter !== undefined && exporter !== 'otlp') {
    return { enabled: false, reason: `OTEL_TRACES_EXPORTER=${exporter} is not supported (only otlp over HTTP): tracing is off`, problem: true };
  }

  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  let url: string;
  let endpointSource: string;
  if (tracesEndpoint) {
    url = tracesEndpoint;
    endpointSource = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  } else if (baseEndpoint) {
    url = withTracesPath(baseEndpoint, true);
    endpointSource = 'OTEL_EXPORTER_OTLP_ENDPOINT';
  } else if (config.endpoint) {
    url = withTracesPath(config.endpoint, false);
    endpointSource = 'tracing.endpoint';
  } else {
    return { enabled: false, reason: '', problem: false };
  }
  if (!isHttpUrl(url)) {
    return { enabled: false, reason: `${endpointSource} is not an http:// or https:// URL: tracing is off`, problem: true };
  }

  const protocolEnv = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : get('OTEL_EXPORTER_OTLP_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : undefined;
  const protocol = protocolEnv ? (get(protocolEnv) as string) : config.protocol;
  if (!(TRACING_PROTOCOLS as readonly string[]).includes(protocol)) {
    const hint =
      protocol === 'grpc'
        ? 'gRPC is not supported: set http/protobuf (or http/json) and point the endpoint at the collector\'s OTLP/HTTP port (4318)'
        : `it must be ${TRACING_PROTOCOLS.join(' or ')}`;
    return { enabled: false, reason: `${protocolEnv}=${protocol}: ${hint}; tracing is off`, problem: true };
  }

  const { parseKeyPairsIntoRecord } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const headers = {
    ...config.headers,
    ...parseKeyPairsIntoRecord(get('OTEL_EXPORTER_OTLP_HEADERS')),
    ...parseKeyPairsIntoRecord(get('OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
  };
  const exportTimeoutMs = positiveInteger(get('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? get('OTEL_EXPORTER_OTLP_TIMEOUT')) ?? config.exportTimeoutMs;
  const maxQueueSize = positiveInteger(get('OTEL_BSP_MAX_QUEUE_SIZE')) ?? config.maxQueueSize;
  return {
    enabled: true,
    url,
    protocol: protocol as TracingProtocol,
    headers,
    sampler: get('OTEL_TRACES_SAMPLER') ? 'env' : { ratio: config.sampleRatio },
    exportTimeoutMs,
    maxQueueSize,
    httpRoutes: config.httpRoutes,
    sources: { endpoint: endpointSource, protocol: protocolEnv ?? 'tracing.protocol' },
  };
}

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: the spec always appends v1/traces. The config's
 * endpoint is friendlier: a URL that already ends in /v1/traces is taken as is.
 */
function withTracesPath(base: string, always: boolean): string {
  if (!always && /\/v1\/traces\/?$/.test(base)) return base;
  return `${base.endsWith('/') ? base : `${base}/`}${TRACES_PATH}`;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}
