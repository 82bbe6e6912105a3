// The OpenTelemetry API, loaded only when tracing starts (src/telemetry/tracing.ts). With
// tracing off, the default, no module of it is loaded (−0.56 MiB of heap, `npm run bench
// footprint`): spans are then INERT_SPAN, which takes every call and records nothing (what the
// API's own non-recording span does), and no context is ever active.
import type * as OtelApi from '@opentelemetry/api';
import type { Span, SpanContext, Tracer } from '@opentelemetry/api';
import { VERSION } from './version.ts';

export type Api = typeof OtelApi;

let api: Api | undefined;
let vigilTracer: Tracer | undefined;

/** The API once tracing has started; undefined while it is off. */
export function otelApi(): Api | undefined {
  return api;
}

/** Loads the API (once); tracing.ts calls it before it registers the SDK. */
export async function loadOtelApi(): Promise<Api> {
  api ??= await import('@opentelemetry/api');
  return api;
}

/** Vigil's tracer once tracing has started; undefined while it is off. */
export function tracer(): Tracer | undefined {
  if (api === undefined) return undefined;
  vigilTracer ??= api.trace.getTracer('vigil', VERSION);
  return vigilTracer;
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
