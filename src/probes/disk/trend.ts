// Time until a filesystem is full, from the disk probe's own samples of available bytes: a least
// squares line over a window, as Prometheus' predict_linear (the node-mixin's "filling up"
// alerts) does over node_filesystem_avail_bytes, with two guards it lacks: enough samples, and a
// good enough fit (R²), so that a sawtooth (logs written, then rotated) does not read as a fill.

export interface AvailSample {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly availBytes: number;
}

export interface TrendOptions {
  readonly minSamples: number;
  /** Coefficient of determination the line must reach, 0–1. */
  readonly minR2: number;
}

export type FillTrend =
  | { readonly kind: 'too_few'; readonly samples: number }
  /** Available space flat or growing. */
  | { readonly kind: 'not_filling'; readonly samples: number; readonly bytesPerSecond: number }
  /** Shrinking, but not along a line (bursts, rotation). */
  | { readonly kind: 'unsteady'; readonly samples: number; readonly bytesPerSecond: number; readonly r2: number }
  | { readonly kind: 'filling'; readonly samples: number; readonly bytesPerSecond: number; readonly r2: number; readonly seconds: number };

/**
 * `bytesPerSecond` is the line's slope (negative while filling); `seconds` the time from the last
 * sample until the line reaches 0, from the line's value then (predict_linear's reading), ≥ 0.
 */
export function fillTrend(samples: readonly AvailSample[], options: TrendOptions): FillTrend {
  const n = samples.length;
  if (n < Math.max(2, options.minSamples)) return { kind: 'too_few', samples: n };
  // Centred sums: epoch milliseconds squared would lose the precision the slope needs.
  let meanT = 0;
  let meanY = 0;
  for (const s of samples) {
    meanT += s.at / 1000 / n;
    meanY += s.availBytes / n;
  }
  let stt = 0;
  let sty = 0;
  let syy = 0;
  for (const s of samples) {
    const dt = s.at / 1000 - meanT;
    const dy = s.availBytes - meanY;
    stt += dt * dt;
    sty += dt * dy;
    syy += dy * dy;
  }
  if (stt === 0) return { kind: 'too_few', samples: n }; // all at the same instant
  const slope = sty / stt;
  if (slope >= 0 || syy === 0) return { kind: 'not_filling', samples: n, bytesPerSecond: Math.max(0, slope) };
  const r2 = (sty * sty) / (stt * syy);
  if (r2 < options.minR2) return { kind: 'unsteady', samples: n, bytesPerSecond: slope, r2 };
  const last = samples[n - 1] as AvailSample;
  const fittedNow = meanY + slope * (last.at / 1000 - meanT);
  return { kind: 'filling', samples: n, bytesPerSecond: slope, r2, seconds: Math.max(0, fittedNow / -slope) };
}

/**
 * Each mount's samples over the window. A sample closer than window / MAX_SAMPLES to the last
 * kept one is skipped, so a short interval does not grow the history past MAX_SAMPLES per mount;
 * a changed size (resize, another filesystem mounted there) starts the history again.
 */
export class AvailHistory {
  static readonly MAX_SAMPLES = 1440;
  private readonly windowMs: number;
  private readonly byMount = new Map<string, { sizeBytes: number; samples: AvailSample[] }>();

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Adds a sample and returns the mount's samples within the window, oldest first. */
  add(mountPoint: string, sizeBytes: number, sample: AvailSample): readonly AvailSample[] {
    let entry = this.byMount.get(mountPoint);
    if (!entry || entry.sizeBytes !== sizeBytes) {
      entry = { sizeBytes, samples: [] };
      this.byMount.set(mountPoint, entry);
    }
    const { samples } = entry;
    const previous = samples.at(-1);
    if (previous && sample.at < previous.at) samples.length = 0; // the clock went back
    if (!previous || sample.at < previous.at || sample.at - previous.at >= this.windowMs / AvailHistory.MAX_SAMPLES) samples.push(sample);
    const from = sample.at - this.windowMs;
    let drop = 0;
    while (drop < samples.length && (samples[drop] as AvailSample).at < from) drop++;
    if (drop) samples.splice(0, drop);
    return samples;
  }

  /** Forgets mounts not in `seen` (unmounted, or no longer selected). */
  keepOnly(seen: ReadonlySet<string>): void {
    for (const mountPoint of this.byMount.keys()) if (!seen.has(mountPoint)) this.byMount.delete(mountPoint);
  }
}
