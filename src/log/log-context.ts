// trace_id and span_id of the active span, for every log line (pino mixin). Reads the OTel
// context only: with tracing off there is never an active span (the API is not even loaded),
// and a line costs one small object more (pino merges the line's fields into what the mixin
// returns, so it must be new).
import { otelApi } from '../otel.ts';

/**
 * The ids of the active span when it is sampled: a log line then points at a trace that
 * exists in the tracing backend, never at one that was sampled out.
 */
export function activeTraceFields(): Record<string, string> {
  const api = otelApi();
  if (api === undefined) return {};
  const { context, trace, TraceFlags } = api;
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const ctx = span.spanContext();
  if ((ctx.traceFlags & TraceFlags.SAMPLED) === 0 || !trace.isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}
