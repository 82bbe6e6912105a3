// The span pipeline between the SDK and the OTLP exporter, built so that a collector that is
// down or slow never hurts the agent:
//   BoundedSpanProcessor → BatchSpanProcessor → GuardedExporter → OTLP/HTTP exporter
// - the queue holds at most maxQueueSize finished spans; more are dropped and counted;
// - one export at a time, each bounded by the exporter's timeout; a failed batch is dropped
//   and counted (the spans are diagnostics, not data worth stalling for);
// - failures are one WARN per period, not one per export;
// - every span is scrubbed of secrets on its way out.
import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { PipelineCounters } from './counters.ts';
import { scrubAttributes, scrubText } from './sanitize.ts';
import type { WarnLimiter } from './warn-limiter.ts';

/** Counts what the exporter did, scrubs spans, rate-limits the failure WARN. */
export class GuardedExporter implements SpanExporter {
  private readonly inner: SpanExporter;
  private readonly counters: PipelineCounters;
  private readonly warnings: WarnLimiter;
  private readonly url: string;

  constructor(inner: SpanExporter, counters: PipelineCounters, warnings: WarnLimiter, url: string) {
    this.inner = inner;
    this.counters = counters;
    this.warnings = warnings;
    this.url = url;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    // The batch processor hands spans over here: they have left its queue.
    this.counters.queued = Math.max(0, this.counters.queued - spans.length);
    this.counters.exporting += spans.length;
    let settled = false;
    const done = (result: ExportResult) => {
      if (settled) return;
      settled = true;
      this.counters.exporting = Math.max(0, this.counters.exporting - spans.length);
      if (result.code === ExportResultCode.SUCCESS) {
        this.counters.exported(spans.length);
        this.warnings.recovered('tracing.export_recovered', { endpoint: this.url }, `traces reach the collector again at ${this.url}`);
      } else {
        this.counters.exportFailed();
        this.counters.dropped('export_failed', spans.length);
        const message = result.error?.message ?? 'export failed';
        this.warnings.warn(
          'tracing.export_failed',
          {
            endpoint: this.url,
            spans_dropped: spans.length,
            spans_dropped_total: this.counters.total('export_failed') + this.counters.total('queue_full'),
          },
          `cannot export traces to ${this.url}: ${message}; spans are dropped until the collector answers`,
          { type: result.error?.name ?? 'Error', message },
        );
      }
      resultCallback(result);
    };
    try {
      this.inner.export(spans.map(scrubSpan), done);
    } catch (err) {
      // An exporter must not throw; if one does, the batch is lost, not the agent.
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** A view of the span with secrets scrubbed; the span itself when it holds none (the usual case). */
export function scrubSpan(span: ReadableSpan): ReadableSpan {
  const attributes = scrubAttributes(span.attributes);
  let eventsChanged = false;
  const events = span.events.map((event) => {
    if (!event.attributes) return event;
    const clean = scrubAttributes(event.attributes);
    if (clean === event.attributes) return event;
    eventsChanged = true;
    return { ...event, attributes: clean };
  });
  const statusMessage = span.status.message === undefined ? undefined : scrubText(span.status.message);
  if (attributes === span.attributes && !eventsChanged && statusMessage === span.status.message) return span;
  // The serializer reads fields and calls spanContext(): a child object of the span keeps
  // both, with the scrubbed fields shadowing the originals.
  return Object.create(span, {
    attributes: { value: attributes, enumerable: true },
    events: { value: events, enumerable: true },
    status: { value: { ...span.status, message: statusMessage }, enumerable: true },
  }) as ReadableSpan;
}

export interface BoundedProcessorOptions {
  readonly maxQueueSize: number;
  /** Export request time limit; the batch processor waits a little longer before giving up. */
  readonly exportTimeoutMs: number;
}

/**
 * The SDK's BatchSpanProcessor behind a queue bound this wrapper enforces itself, so that every
 * dropped span is counted (the batch processor alone only tells the diag logger).
 */
export class BoundedSpanProcessor implements SpanProcessor {
  private readonly batch: BatchSpanProcessor;
  private readonly counters: PipelineCounters;
  private readonly warnings: WarnLimiter;
  private readonly maxQueueSize: number;
  private closed = false;

  constructor(exporter: GuardedExporter, counters: PipelineCounters, warnings: WarnLimiter, options: BoundedProcessorOptions) {
    this.counters = counters;
    this.warnings = warnings;
    this.maxQueueSize = options.maxQueueSize;
    this.batch = new BatchSpanProcessor(exporter, {
      maxQueueSize: options.maxQueueSize,
      maxExportBatchSize: Math.min(512, options.maxQueueSize),
      // Longer than the exporter's own limit, so that a slow collector ends the request (and
      // frees its batch) before the next export starts: one request in flight at a time.
      exportTimeoutMillis: options.exportTimeoutMs + 1000,
    });
  }

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (this.closed || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.counters.queued >= this.maxQueueSize) {
      this.counters.dropped('queue_full', 1);
      this.warnings.warn(
        'tracing.queue_full',
        { max_queue_size: this.maxQueueSize, spans_dropped_total: this.counters.total('queue_full') + this.counters.total('export_failed') },
        `trace export queue full (${this.maxQueueSize} spans): new spans are dropped until the collector catches up`,
      );
      return;
    }
    this.counters.queued++;
    this.batch.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  /** Flushes what is queued (bounded by the caller) and closes the exporter. */
  shutdown(): Promise<void> {
    this.closed = true;
    return this.batch.shutdown();
  }
}
