// Lag in seconds from log-end offset history (fixtures: hand-built histories, fixed clocks).
import t from 'tap';
import { EndOffsetHistory, lagSeconds, maxLag } from '../../src/probes/kafka/lag.ts';

const HOUR = 3_600_000;
const s = (seconds: number) => seconds * 1000;

t.test('caught up: zero, whatever the history', async (t) => {
  t.same(lagSeconds([], 0, s(100)), { seconds: 0, atLeast: false });
  t.same(lagSeconds([{ at: 0, offset: 50 }], 50, s(100)), { seconds: 0, atLeast: false });
  t.same(lagSeconds([{ at: 0, offset: 50 }], 60, s(100)), { seconds: 0, atLeast: false }, 'committed past the sampled end (a race): zero');
});

t.test('interpolates when the next message was appended between two samples', async (t) => {
  // 100 messages appended evenly between t=10 s and t=20 s.
  const history = [
    { at: s(10), offset: 100 },
    { at: s(20), offset: 200 },
  ];
  // Message 149 was the 50th of 100 appends: t = 10 + 50/100 × 10 = 15 s; now 30 s → 15 s behind.
  t.same(lagSeconds(history, 149, s(30)), { seconds: 15, atLeast: false });
  // Message 100 (the first of the burst) appended at 10.1 s.
  t.equal(lagSeconds(history, 100, s(30)).seconds, 19.9);
  t.equal(lagSeconds(history, 199, s(30)).seconds, 10, 'the last message of the burst: at the sample');
});

t.test('an idle producer does not inflate the lag', async (t) => {
  const history = new EndOffsetHistory();
  // Idle at 100 for 10 minutes, then 10 messages within 5 s.
  for (let i = 0; i <= 600; i += 15) history.add(s(i), 100, HOUR);
  history.add(s(605), 110, HOUR);
  t.ok(history.size <= 3, `flat run kept as its two ends (${history.size} samples)`);
  const lag = history.lagSeconds(100, s(610));
  t.ok(lag.seconds > 5 && lag.seconds < 10, `lag ${lag.seconds}s is measured from the burst, not from the start of the idle run`);
  t.equal(lag.atLeast, false);
  // A consumer stuck before the idle run: its message is 10 minutes old, and grows with time.
  history.add(s(700), 110, HOUR);
  t.same(history.lagSeconds(100, s(700)).atLeast, false);
  t.ok(history.lagSeconds(100, s(700)).seconds >= 95, 'a stuck consumer keeps ageing');
});

t.test('no extrapolation beyond the history: a lower bound', async (t) => {
  const history = [
    { at: s(1000), offset: 500 },
    { at: s(1010), offset: 600 },
  ];
  t.same(lagSeconds(history, 10, s(1030)), { seconds: 30, atLeast: true }, 'at least the age of the oldest sample');
  t.same(lagSeconds([{ at: s(5), offset: 10 }], 3, s(5)), { seconds: 0, atLeast: true }, 'first sample: at least 0 s');
});

t.test('history is bounded by age and restarts when the log end moves back', async (t) => {
  const history = new EndOffsetHistory();
  for (let i = 0; i < 100; i++) history.add(s(i * 60), i * 10, 10 * 60_000);
  t.ok(history.size <= 12, `about 10 minutes of samples kept (${history.size})`);
  t.ok((history.all[1]?.at ?? 0) > s(99 * 60) - 10 * 60_000, 'only the oldest kept sample may predate the horizon');
  history.add(s(100 * 60), 5, HOUR);
  t.same(history.all, [{ at: s(6000), offset: 5 }], 'topic recreated: the old history is dropped');
});

t.test('maxLag prefers the larger value, and a lower bound on ties', async (t) => {
  t.same(maxLag({ seconds: 3, atLeast: false }, { seconds: 5, atLeast: true }), { seconds: 5, atLeast: true });
  t.same(maxLag({ seconds: 5, atLeast: false }, { seconds: 5, atLeast: true }), { seconds: 5, atLeast: true });
  t.same(maxLag({ seconds: 7, atLeast: false }, { seconds: 5, atLeast: true }), { seconds: 7, atLeast: false });
});
