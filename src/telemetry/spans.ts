// Child spans for the driver calls a probe makes (a query, a Redis command, a Kafka request).
// Uses only @opentelemetry/api: until an SDK is registered (tracing is off by default) every
// span is a cheap non-recording one, so probes can call this unconditionally.
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { VERSION } from '../version.ts';

const tracer = trace.getTracer('vigil', VERSION);

/**
 * Runs `work` inside a CLIENT span named `name` (OTel convention: `SELECT`, `PING`,
 * `ListOffsets`…). A thrown error marks the span ERROR and is re-thrown. Attributes must never
 * hold secrets: pass a target's name and host:port, never its connection string.
 */
export function traced<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      if (err instanceof Error) span.recordException(err);
      throw err;
    } finally {
      span.end();
    }
  });
}
