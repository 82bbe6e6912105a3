// trace_id and span_id of the active span, for every log line (pino mixin). Reads the OTel
// context only: with tracing off there is never an active span (the API is not even loaded),
// and a line costs one small object more (pino merges the line's fields into what the mixin
// returns, so it must be new).
import { activeTracing, sampledTraceFields } from '../otel.ts';

/** The ids of the active span when it is sampled (sampledTraceFields), else nothing. */
export function activeTraceFields(): Record<string, string> {
  const tracing = activeTracing();
  if (tracing === undefined) return {};
  const { context, trace } = tracing.api;
  return sampledTraceFields(trace.getSpan(context.active()));
}
