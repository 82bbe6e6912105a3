// The OpenTelemetry API, loaded only when tracing starts (src/telemetry/tracing.ts). With
// tracing off, the default, no module of it is loaded (−0.56 MiB of heap, `npm run bench
// footprint`): spans are then INERT_SPAN, which takes every call and records nothing (what the
// API's own non-recording span does), and no context is ever active.
import type * as OtelApi from '@opentelemetry/api';
import type { Span, SpanContext, SpanStatusCode, Tracer } from '@opentelemetry/api';
import { VERSION } from './version.ts';

export type Api = typeof OtelApi;

/** The API and Vigil's tracer, once tracing has started. */
export interface Tracing {
  readonly api: Api;
  readonly tracer: Tracer;
}

let api: Api | undefined;
let tracing: Tracing | undefined;

/** The API and Vigil's tracer once tracing has started; undefined while it is off. */
export function activeTracing(): Tracing | undefined {
  if (tracing === undefined && api !== undefined) tracing = { api, tracer: api.trace.getTracer('vigil', VERSION) };
  return tracing;
}

/** Loads the API (once); tracing.ts calls it before it registers the SDK. */
export async function loadOtelApi(): Promise<Api> {
  api ??= await import('@opentelemetry/api');
  return api;
}

/** The API's SpanStatusCode.ERROR and TraceFlags.SAMPLED, named without loading it. */
export const SPAN_STATUS_ERROR = 2 as SpanStatusCode;
const TRACE_FLAG_SAMPLED = 1;

/**
 * trace_id and span_id of `span` when it is valid and sampled: a log line then points at a
 * trace that exists in the tracing backend, never at one that was sampled out.
 */
export function sampledTraceFields(span: Span | undefined): Record<string, string> {
  if (span === undefined || api === undefined) return {};
  const ctx = span.spanContext();
  return api.trace.isSpanContextValid(ctx) && (ctx.traceFlags & TRACE_FLAG_SAMPLED) !== 0 ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

const INVALID_CONTEXT: SpanContext = Object.freeze({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });

/** The span of every traced() call and probe run while tracing is off. */
export const INERT_SPAN: Span = Object.freeze({
  spanContext: () => INVALID_CONTEXT,
  setAttribute: () => INERT_SPAN,
  setAttributes: () => INERT_SPAN,
  addEvent: () => INERT_SPAN,
  addLink: () => INERT_SPAN,
  addLinks: () => INERT_SPAN,
  setStatus: () => INERT_SPAN,
  updateName: () => INERT_SPAN,
  end: () => undefined,
  isRecording: () => false,
  recordException: () => undefined,
});
