// Vigil's own figures about its trace pipeline: what reached the collector, what was dropped
// and why, how full the queue is. The queue is bounded, so drops are the price of a collector
// that is down or slow; these counters make that price visible.
import { counter, gauge } from '../metrics/family.ts';

export const tracingEnabled = gauge('vigil_tracing_enabled', 'Whether traces are exported (1) or tracing is off (0: no endpoint configured, or disabled).');
export const spansExported = counter('vigil_tracing_spans_exported_total', 'Spans the OTLP/HTTP collector accepted.');
export const spansDropped = counter(
  'vigil_tracing_spans_dropped_total',
  'Finished spans never exported, by reason: queue_full (the export queue was at its limit), export_failed (the collector refused or did not answer in time), shutdown (still queued when the agent stopped).',
  ['reason'],
);
export const exportFailures = counter(
  'vigil_tracing_export_failures_total',
  "Export requests to the collector that failed (after the exporter's own retries) or timed out.",
);
export const queuedSpans = gauge('vigil_tracing_queue_spans', 'Finished spans waiting to be exported (bounded by tracing.max_queue_size).');

export const DROP_REASONS = ['queue_full', 'export_failed', 'shutdown'] as const;
export type DropReason = (typeof DROP_REASONS)[number];
