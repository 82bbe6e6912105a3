// Liveness of the agent itself: the process answers and its event loop is not saturated.
// Never looks at a probed dependency (a down database must not get Vigil restarted).
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LivenessReport {
  readonly healthy: boolean;
  /** Mean event-loop delay over the last window, in ms. */
  readonly eventLoopDelayMs: number;
}

export class EventLoopWatch {
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;
  private readonly timer: NodeJS.Timeout;
  private lastMeanMs = 0;
  private readonly limitMs: number;

  /** Unhealthy when the mean event-loop delay over a window exceeds `limitMs`. */
  constructor(limitMs = 1000, windowMs = 10_000) {
    this.limitMs = limitMs;
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.lastMeanMs = Number.isNaN(this.histogram.mean) ? 0 : this.histogram.mean / 1e6;
      this.histogram.reset();
    }, windowMs);
    this.timer.unref();
  }

  report(): LivenessReport {
    return { healthy: this.lastMeanMs <= this.limitMs, eventLoopDelayMs: Math.round(this.lastMeanMs * 10) / 10 };
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
