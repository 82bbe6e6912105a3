// At most one WARN per period about the trace pipeline, however often exports fail: a collector
// down for an hour is one line a minute, each saying how much was lost since the previous one.
import type { Logger } from '../log/logger.ts';
import { activeTracing } from '../otel.ts';

export const WARN_PERIOD_MS = 60_000;

export class WarnLimiter {
  private readonly log: Logger;
  private readonly periodMs: number;
  private readonly now: () => number;
  private last = -Infinity;
  private suppressed = 0;
  /** A WARN went out and nothing has recovered since. */
  private troubled = false;

  constructor(log: Logger, periodMs = WARN_PERIOD_MS, now: () => number = Date.now) {
    this.log = log;
    this.periodMs = periodMs;
    this.now = now;
  }

  /** Logs now, or counts the warning for the next line when one went out less than a period ago. */
  warn(event: string, details: Record<string, unknown>, message: string, error?: unknown): void {
    const now = this.now();
    if (now - this.last < this.periodMs) {
      this.suppressed++;
      return;
    }
    const fields: Record<string, unknown> = { event, details: { ...details, similar_warnings_suppressed: this.suppressed } };
    if (error !== undefined) fields.error = error;
    // Outside any span: these lines are about the pipeline, not about the run whose span
    // happened to be active when an export was scheduled or a span was dropped.
    outsideAnySpan(() => this.log.warn(fields, message));
    this.last = now;
    this.suppressed = 0;
    this.troubled = true;
  }

  /** One INFO line when things work again after a WARN. */
  recovered(event: string, details: Record<string, unknown>, message: string): void {
    if (!this.troubled) return;
    this.troubled = false;
    outsideAnySpan(() => this.log.info({ event, details }, message));
  }
}

/** Runs `write` in the root context (with tracing off there is no other one). */
function outsideAnySpan(write: () => void): void {
  const api = activeTracing()?.api;
  if (api === undefined) write();
  else api.context.with(api.ROOT_CONTEXT, write);
}
