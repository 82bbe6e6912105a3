// Counters of the agent's own HTTP server. Kept in plain numbers and copied into the store at
// scrape time (live families): a flood of rejected requests must not invalidate the cached
// rendering of the probes' series at every increment.
import { counter, type MetricStore } from '../metrics/family.ts';

export const accessLogSuppressed = counter(
  'vigil_http_access_log_suppressed_total',
  'Access lines of failed requests not logged because more arrived than the log rate allows.',
);
export const requestsRejected = counter(
  'vigil_http_requests_rejected_total',
  'Requests refused before their handler ran, by reason: metrics_busy (too many /metrics renders at once, 503), body (requests must not carry a body, 413), unauthorized (401).',
  ['reason'],
);
export const connectionsDropped = counter(
  'vigil_http_connections_dropped_total',
  'Connections closed on accept because the listener already held its maximum (http.max_connections), by listener.',
  ['listener'],
);

export type RejectReason = 'metrics_busy' | 'body' | 'unauthorized';
const REASONS: readonly RejectReason[] = ['metrics_busy', 'body', 'unauthorized'];

export class HttpCounters {
  logSuppressed = 0;
  readonly rejected = new Map<RejectReason, number>(REASONS.map((r) => [r, 0]));
  readonly dropped = new Map<string, number>();

  /** Registers the families once per store; the same counters feed every app on that store. */
  static for(metrics: MetricStore): HttpCounters {
    let counters = registered.get(metrics);
    if (counters) return counters;
    const c = new HttpCounters();
    counters = c;
    registered.set(metrics, c);
    metrics.register(accessLogSuppressed, () => metrics.set(accessLogSuppressed, {}, c.logSuppressed));
    metrics.register(requestsRejected, () => {
      for (const [reason, n] of c.rejected) metrics.set(requestsRejected, { reason }, n);
    });
    metrics.register(connectionsDropped, () => {
      for (const [listener, n] of c.dropped) metrics.set(connectionsDropped, { listener }, n);
    });
    return c;
  }

  reject(reason: RejectReason): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  drop(listener: string): void {
    this.dropped.set(listener, (this.dropped.get(listener) ?? 0) + 1);
  }
}

const registered = new WeakMap<MetricStore, HttpCounters>();
