// Child spans for the driver calls a probe makes (a query, a Redis command, a Kafka request).
// While tracing is off (the default) `work` runs at once with the inert span, so probes can
// call this unconditionally.
import type { Attributes, Span } from '@opentelemetry/api';
import { activeTracing, INERT_SPAN, SPAN_STATUS_ERROR } from '../otel.ts';

/**
 * Runs `work` inside a CLIENT span named `name` (OTel convention: `SELECT`, `PING`,
 * `ListOffsets`…). A thrown error marks the span ERROR and is re-thrown. Attributes must never
 * hold secrets: pass a target's name and host:port, never its connection string.
 */
export function traced<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  const tracing = activeTracing();
  if (tracing === undefined) return work(INERT_SPAN);
  return tracing.tracer.startActiveSpan(name, { kind: tracing.api.SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      span.setStatus({ code: SPAN_STATUS_ERROR, message });
      if (err instanceof Error) span.recordException(err);
      throw err;
    } finally {
      span.end();
    }
  });
}
