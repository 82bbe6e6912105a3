// Lag in seconds from a partition's log-end offset history.
//
// Each probe run records (time, log-end offset) for every watched partition. The message a
// group will read next sits at its committed offset c; it was appended when the log end moved
// past c. Between the last sample with end ≤ c and the first with end > c, the appends are
// assumed evenly spread, so message c was appended at
//     t = t₀ + (c + 1 − e₀) / (e₁ − e₀) × (t₁ − t₀)
// and the lag is now − t. A caught-up partition (c ≥ end) has lag 0. When c is older than the
// whole history, nothing is extrapolated: the lag is at least now − (oldest sample's time),
// reported as a lower bound. A producer going idle adds flat runs to the history; only a run's
// first and last samples are kept, and the interpolation uses the last one, so idle time before
// a burst is never counted as lag (rate-based estimates, lag ÷ produce rate, blow up there).

export interface OffsetSample {
  /** ms since epoch. */
  readonly at: number;
  readonly offset: number;
}

export interface LagEstimate {
  readonly seconds: number;
  /** The true lag is at least `seconds` (the committed offset predates the history). */
  readonly atLeast: boolean;
}

export const CAUGHT_UP: LagEstimate = Object.freeze({ seconds: 0, atLeast: false });

/** Hard cap per partition whatever the history age, to bound memory on busy partitions. */
const MAX_SAMPLES = 720;

/** Log-end offsets of one partition over the last `maxAgeMs`, flat runs reduced to their ends. */
export class EndOffsetHistory {
  private samples: OffsetSample[] = [];

  get size(): number {
    return this.samples.length;
  }

  get all(): readonly OffsetSample[] {
    return this.samples;
  }

  add(at: number, offset: number, maxAgeMs: number): void {
    const s = this.samples;
    const last = s[s.length - 1];
    // The log end never moves back unless the topic was deleted and recreated: start over.
    if (last && (offset < last.offset || at < last.at)) s.length = 0;
    const beforeLast = s[s.length - 2];
    if (last && beforeLast && last.offset === offset && beforeLast.offset === offset) s[s.length - 1] = { at, offset };
    else s.push({ at, offset });
    // Keep one sample older than the horizon: it brackets offsets appended just after it.
    while (s.length > 2 && (s[1] as OffsetSample).at <= at - maxAgeMs) s.shift();
    if (s.length > MAX_SAMPLES) s.splice(0, s.length - MAX_SAMPLES);
  }

  /** Lag in seconds of a group whose committed offset is `committed`, at `now`. */
  lagSeconds(committed: number, now: number): LagEstimate {
    return lagSeconds(this.samples, committed, now);
  }
}

export function lagSeconds(history: readonly OffsetSample[], committed: number, now: number): LagEstimate {
  const last = history[history.length - 1];
  if (!last || committed >= last.offset) return CAUGHT_UP;
  const i = history.findIndex((s) => s.offset > committed);
  const next = history[i] as OffsetSample;
  const previous = history[i - 1];
  if (!previous) return { seconds: Math.max(0, (now - next.at) / 1000), atLeast: true };
  const fraction = (committed + 1 - previous.offset) / (next.offset - previous.offset);
  const appendedAt = previous.at + fraction * (next.at - previous.at);
  return { seconds: Math.max(0, (now - appendedAt) / 1000), atLeast: false };
}

/** The larger estimate; a lower bound wins ties, since the real value may be higher. */
export function maxLag(a: LagEstimate, b: LagEstimate): LagEstimate {
  if (a.seconds !== b.seconds) return a.seconds > b.seconds ? a : b;
  return a.atLeast ? a : b;
}
