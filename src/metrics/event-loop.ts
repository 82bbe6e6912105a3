// The event-loop watch: how late timers fire and how busy the loop is. It feeds the liveness
// endpoint (the process answers and its loop is not saturated; never a probed dependency, so a
// down database does not get Vigil restarted) and the runtime metrics.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface LivenessReport {
  readonly healthy: boolean;
  /** Mean event-loop delay over the last window, in ms. */
  readonly eventLoopDelayMs: number;
}

export interface EventLoopWindow {
  /** Mean and maximum lateness of a timer, in ms. */
  readonly meanMs: number;
  readonly maxMs: number;
  /** Share of the window the loop spent running code rather than waiting, 0–1. */
  readonly utilization: number;
}

const EMPTY: EventLoopWindow = Object.freeze({ meanMs: 0, maxMs: 0, utilization: 0 });

/**
 * Measures how late a timer fires, every `sampleMs`, in windows of `windowMs`. Not
 * monitorEventLoopDelay: at a fine resolution its wake-ups alone cost 0.5 % of a core on an
 * idle agent (measured at 20 ms), and at a coarse one it missed a 700 ms stall (measured at
 * 250 ms). One timer wake-up a second catches every stall longer than a second, the liveness
 * limit; each wake-up costs CPU (an idle Node process: 1.8 CPU-seconds an hour at 500 ms, 0.9 at
 * 1 s, measured), a tenth of what the whole agent costs at 500 ms.
 */
export class EventLoopWatch {
  private readonly limitMs: number;
  private readonly windowMs: number;
  private readonly sampleMs: number;
  private timer: NodeJS.Timeout;
  private expected: number;
  private windowStart: number;
  private elu: EventLoopUtilization;
  private sum = 0;
  private count = 0;
  private max = 0;
  private last: EventLoopWindow = EMPTY;
  private readonly sustainWindows: number;
  /** Complete windows in a row whose mean delay exceeded the limit. */
  private overLimit = 0;

  /**
   * Unhealthy when the mean delay exceeded `limitMs` in `sustainWindows` windows in a row
   * (default 3 × 10 s): a burst of requests that slows the loop for a few seconds is an
   * overload to shed, not a reason for the kubelet to restart the agent; a loop that stays
   * saturated for half a minute is.
   */
  constructor(limitMs = 1000, windowMs = 10_000, sampleMs = 1000, sustainWindows = 3) {
    this.sustainWindows = sustainWindows;
    this.limitMs = limitMs;
    this.windowMs = windowMs;
    this.sampleMs = sampleMs;
    this.windowStart = performance.now();
    this.elu = performance.eventLoopUtilization();
    this.expected = this.windowStart + sampleMs;
    this.timer = this.schedule();
  }

  report(): LivenessReport {
    return { healthy: this.overLimit < this.sustainWindows, eventLoopDelayMs: Math.round(this.last.meanMs * 10) / 10 };
  }

  /** Figures of the last complete window. */
  window(): EventLoopWindow {
    return this.last;
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private schedule(): NodeJS.Timeout {
    const timer = setTimeout(() => this.sample(), this.sampleMs);
    timer.unref();
    return timer;
  }

  private sample(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.expected);
    this.sum += lag;
    this.count++;
    this.max = Math.max(this.max, lag);
    if (now - this.windowStart >= this.windowMs) {
      const elu = performance.eventLoopUtilization();
      this.last = { meanMs: this.sum / this.count, maxMs: this.max, utilization: performance.eventLoopUtilization(elu, this.elu).utilization };
      this.elu = elu;
      this.overLimit = this.last.meanMs > this.limitMs ? this.overLimit + 1 : 0;
      this.windowStart = now;
      this.sum = this.count = this.max = 0;
    }
    this.expected = now + this.sampleMs;
    this.timer = this.schedule();
  }
}
