// Liveness of the agent itself: the process answers and its event loop is not saturated.
// Never looks at a probed dependency (a down database must not get Vigil restarted).
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LivenessReport {
  readonly healthy: boolean;
  /** Mean event-loop delay over the last window, in ms. */
  readonly eventLoopDelayMs: number;
}

export interface EventLoopWindow {
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const RESOLUTION_MS = 20;

export class EventLoopWatch {
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;
  private readonly timer: NodeJS.Timeout;
  private last: EventLoopWindow = { meanMs: 0, p99Ms: 0, maxMs: 0 };
  private readonly limitMs: number;

  /** Unhealthy when the mean event-loop delay over a window exceeds `limitMs`. */
  constructor(limitMs = 1000, windowMs = 10_000) {
    this.limitMs = limitMs;
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => {
      const h = this.histogram;
      // The histogram records each timer's whole period: the delay is what exceeds the resolution.
      const lag = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
      this.last = h.count > 0 ? { meanMs: lag(h.mean), p99Ms: lag(h.percentile(99)), maxMs: lag(h.max) } : { meanMs: 0, p99Ms: 0, maxMs: 0 };
      h.reset();
    }, windowMs);
    this.timer.unref();
  }

  report(): LivenessReport {
    return { healthy: this.last.meanMs <= this.limitMs, eventLoopDelayMs: Math.round(this.last.meanMs * 10) / 10 };
  }

  /** Event-loop delay over the last complete window. */
  window(): EventLoopWindow {
    return this.last;
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
