// The tracing pipeline's counters. Apart from pipeline.ts so that an agent with tracing off
// registers the metrics without loading the OpenTelemetry SDK.
import type { MetricStore } from '../metrics/family.ts';
import { DROP_REASONS, exportFailures, queuedSpans, spansDropped, spansExported, tracingEnabled, type DropReason } from './metrics.ts';

/** Counts kept in the metric store (so /metrics shows them) and read back for logs. */
export class PipelineCounters {
  private readonly metrics: MetricStore;
  /** Spans handed to the batch processor and not yet given to the exporter. */
  queued = 0;
  /** Spans given to the exporter whose export has not ended yet. */
  exporting = 0;
  /** Set at shutdown once what is left is counted as dropped: later outcomes are not counted again. */
  private closed = false;

  constructor(metrics: MetricStore) {
    this.metrics = metrics;
    metrics.register(tracingEnabled);
    for (const decl of [spansExported, spansDropped, exportFailures]) metrics.register(decl);
    metrics.register(queuedSpans, () => metrics.set(queuedSpans, {}, this.queued));
  }

  /** Zero series for every label value, so rate() works from the first scrape. */
  enable(): void {
    this.metrics.set(tracingEnabled, {}, 1);
    this.metrics.set(spansExported, {}, 0);
    this.metrics.set(exportFailures, {}, 0);
    for (const reason of DROP_REASONS) this.metrics.set(spansDropped, { reason }, 0);
  }

  disable(): void {
    this.metrics.set(tracingEnabled, {}, 0);
  }

  exported(count: number): void {
    if (!this.closed) this.add(spansExported, {}, count);
  }

  dropped(reason: DropReason, count: number): void {
    if (!this.closed) this.add(spansDropped, { reason }, count);
  }

  exportFailed(): void {
    if (!this.closed) this.add(exportFailures, {}, 1);
  }

  /** Counts what is still queued or being exported as dropped at shutdown; returns how many. */
  close(): number {
    const left = this.queued + this.exporting;
    this.dropped('shutdown', left);
    this.closed = true;
    this.queued = 0;
    this.exporting = 0;
    return left;
  }

  total(which: 'exported' | DropReason): number {
    return which === 'exported' ? (this.metrics.value(spansExported, {}) ?? 0) : (this.metrics.value(spansDropped, { reason: which }) ?? 0);
  }

  private add(decl: typeof spansExported, labels: Record<string, string>, count: number): void {
    this.metrics.set(decl, labels, (this.metrics.value(decl, labels) ?? 0) + count);
  }
}
