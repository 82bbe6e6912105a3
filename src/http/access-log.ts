// What a client can make the agent log is bounded: attacker-chosen fields are cut to a fixed
// size, and failed requests (4xx/5xx outside the health routes) are logged at a bounded rate,
// the rest counted in vigil_http_access_log_suppressed_total.
import type { HttpCounters } from './http-metrics.ts';

/** Longest path or User-Agent kept in an access line, in characters (the request line is ASCII). */
export const LOGGED_FIELD_MAX = 256;

/** Cuts a client-supplied value for the log; the mark tells the reader it was longer. */
export function truncateForLog(value: string | undefined): string | undefined {
  if (value === undefined || value.length <= LOGGED_FIELD_MAX) return value;
  return `${value.slice(0, LOGGED_FIELD_MAX)}…(${value.length} chars)`;
}

/**
 * A token bucket: `burst` lines at once, then `perSecond`. Lines beyond it are counted; the
 * next line that passes says how many were left out since the previous one.
 */
export class LogRateLimiter {
  private tokens: number;
  private last: number;
  private suppressedSinceLast = 0;
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly counters: HttpCounters;
  private readonly now: () => number;

  constructor(counters: HttpCounters, burst = 20, perSecond = 2, now: () => number = () => performance.now()) {
    this.counters = counters;
    this.burst = burst;
    this.perSecond = perSecond;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  /** Undefined when the line must be dropped; else how many were dropped before it. */
  take(): number | undefined {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      this.suppressedSinceLast++;
      this.counters.logSuppressed++;
      return undefined;
    }
    this.tokens--;
    const dropped = this.suppressedSinceLast;
    this.suppressedSinceLast = 0;
    return dropped;
  }
}
