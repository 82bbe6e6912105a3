// The time-to-full line: a steady fill is estimated, a sawtooth (log rotation), a flat disk and
// too short a history are not; the history keeps its window and restarts on a resize.
import t from 'tap';
import { AvailHistory, fillTrend, type AvailSample } from '../../src/probes/disk/trend.ts';
import { TIME_TO_FULL_DEFAULTS } from '../../src/probes/disk/config.ts';

const OPTIONS = { minSamples: TIME_TO_FULL_DEFAULTS.minSamples, minR2: TIME_TO_FULL_DEFAULTS.minR2 };
const T0 = Date.UTC(2026, 0, 1);
const GiB = 2 ** 30;

/** `n` samples every `stepS` seconds of `avail(seconds since the first)`. */
function series(n: number, stepS: number, avail: (s: number) => number): AvailSample[] {
  return Array.from({ length: n }, (_, i) => ({ at: T0 + i * stepS * 1000, availBytes: Math.round(avail(i * stepS)) }));
}

t.test('a steady fill: time until the line reaches 0', async (t) => {
  // 6 h at 15 s, 100 GiB available at first, losing 1 MiB/s.
  const samples = series(1441, 15, (s) => 100 * GiB - s * 2 ** 20);
  const trend = fillTrend(samples, OPTIONS);
  t.equal(trend.kind, 'filling');
  if (trend.kind !== 'filling') return;
  const truth = (samples.at(-1) as AvailSample).availBytes / 2 ** 20;
  t.ok(Math.abs(trend.seconds - truth) < 1, `${trend.seconds} s ≈ ${truth} s`);
  t.ok(Math.abs(trend.bytesPerSecond + 2 ** 20) < 1, `slope ${trend.bytesPerSecond}`);
  t.ok(trend.r2 > 0.999999);
});

t.test('a steady fill with noise still fits; full now reads 0', async (t) => {
  let seed = 7;
  const noise = () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 64 * 2 ** 20; // ±32 MiB
  const trend = fillTrend(
    series(600, 15, (s) => 10 * GiB - s * 512 * 1024 + noise()),
    OPTIONS,
  );
  t.equal(trend.kind, 'filling');
  if (trend.kind === 'filling') t.ok(trend.r2 > 0.99 && trend.r2 < 1, `R² ${trend.r2}`);
  const full = fillTrend(
    series(100, 15, (s) => 2 ** 20 * (99 * 15 - s)),
    OPTIONS,
  );
  t.ok(full.kind === 'filling' && full.seconds < 1e-6, 'a line at 0 now: full in 0 s');
});

t.test('a sawtooth (written, then rotated) is not a fill, whatever its phase', async (t) => {
  // Logs grow by 2 GiB between rotations every 2 h, 6 h window: 3 teeth; then 1.2 to 6 teeth.
  for (const teeth of [1.2, 1.5, 2, 2.5, 3, 4, 6]) {
    let worst = 0;
    for (let phase = 0; phase < 1; phase += 0.05) {
      const periodS = (6 * 3600) / teeth;
      const trend = fillTrend(
        series(1441, 15, (s) => 50 * GiB - 2 * GiB * ((((s / periodS + phase) % 1) + 1) % 1)),
        OPTIONS,
      );
      t.not(trend.kind, 'filling', `${teeth} teeth, phase ${phase.toFixed(2)}: ${JSON.stringify(trend)}`);
      if (trend.kind === 'unsteady') worst = Math.max(worst, trend.r2);
    }
    t.ok(worst < 0.3, `${teeth} teeth: worst R² ${worst.toFixed(3)} when the line points down`);
  }
});

t.test('flat, growing and too short are not judged', async (t) => {
  t.match(
    fillTrend(
      series(100, 15, () => 5 * GiB),
      OPTIONS,
    ),
    { kind: 'not_filling', bytesPerSecond: 0 },
  );
  t.match(
    fillTrend(
      series(100, 15, (s) => 5 * GiB + s * 1000),
      OPTIONS,
    ),
    { kind: 'not_filling' },
  );
  t.match(
    fillTrend(
      series(OPTIONS.minSamples - 1, 15, (s) => 5 * GiB - s * 2 ** 20),
      OPTIONS,
    ),
    { kind: 'too_few', samples: OPTIONS.minSamples - 1 },
  );
  t.match(fillTrend([], OPTIONS), { kind: 'too_few', samples: 0 });
  // min_samples 1 still needs two points for a line.
  t.match(
    fillTrend(
      series(1, 15, () => GiB),
      { minSamples: 1, minR2: 0 },
    ),
    { kind: 'too_few' },
  );
  t.match(
    fillTrend(
      [
        { at: T0, availBytes: 2 },
        { at: T0, availBytes: 1 },
      ],
      { minSamples: 2, minR2: 0 },
    ),
    { kind: 'too_few' },
  );
});

t.test('the history keeps the window, thins short intervals and restarts on resize', async (t) => {
  const h = new AvailHistory(60_000);
  let kept: readonly AvailSample[] = [];
  for (let i = 0; i <= 120; i++) kept = h.add('/data', 100, { at: T0 + i * 1000, availBytes: 100 - i });
  t.equal(kept.length, 61, 'the last 60 s, both ends included');
  t.equal(kept[0]?.at, T0 + 60_000);

  const dense = new AvailHistory(1440_000); // window / MAX_SAMPLES = 1 s
  for (let i = 0; i < 100; i++) kept = dense.add('/', 1, { at: T0 + i * 250, availBytes: 1 });
  t.equal(kept.length, 25, 'one sample per second kept at a 250 ms interval');

  kept = h.add('/data', 200, { at: T0 + 121_000, availBytes: 150 });
  t.same(kept, [{ at: T0 + 121_000, availBytes: 150 }], 'a new size starts again');
  kept = h.add('/data', 200, { at: T0 + 1000, availBytes: 150 });
  t.equal(kept.length, 1, 'a clock that went back starts again');

  h.keepOnly(new Set(['/other']));
  t.equal(h.add('/data', 200, { at: T0 + 122_000, availBytes: 1 }).length, 1, 'an unselected mount was forgotten');
});
