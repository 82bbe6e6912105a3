// The tracing plan: the `tracing:` config section (src/config/tracing.ts), then the standard
// OTEL_* variables over it. The environment wins, as VIGIL_* variables win over the file: a
// platform team sets OTEL_* for every pod of a cluster, and a one-off override needs no
// ConfigMap change. Pure: no I/O.
import { createRequire } from 'node:module';
import { TRACING_PROTOCOLS, type TraceableRoute, type TracingConfig, type TracingProtocol } from '../config/tracing.ts';

// @opentelemetry/core is loaded only once tracing is on (an agent without a collector skips it).
const require = createRequire(import.meta.url);

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

  const protocolEnv = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : get('OTEL_EXPORTER_OTLP_PROTOCOL')
      ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
      : undefined;
  const protocol = protocolEnv ? (get(protocolEnv) as string) : config.protocol;
  if (!(TRACING_PROTOCOLS as readonly string[]).includes(protocol)) {
    const hint =
      protocol === 'grpc'
        ? "gRPC is not supported: set http/protobuf (or http/json) and point the endpoint at the collector's OTLP/HTTP port (4318)"
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
