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

export class EventLoopWatch {
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;
  private readonly timer: NodeJS.Timeout;
  private last: EventLoopWindow = { meanMs: 0, p99Ms: 0, maxMs: 0 };
  private readonly limitMs: number;

  /** Unhealthy when the mean event-loop delay over a window exceeds `limitMs`. */
  constructor(limitMs = 1000, windowMs = 10_000) {
    this.limitMs = limitMs;
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      const h = this.histogram;
      this.last = h.count > 0 ? { meanMs: h.mean / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 } : { meanMs: 0, p99Ms: 0, maxMs: 0 };
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
