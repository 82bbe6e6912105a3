// Burrow-style consumer status rules on hand-built windows.
import t from 'tap';
import { evaluatePartition, StatusWindow, type WindowSample } from '../../src/probes/kafka/status.ts';

const w = (...rows: [committed: number, lag: number][]): WindowSample[] => rows.map(([committed, lag], i) => ({ at: i * 10_000, committed, lag }));

t.test('fewer samples than the window: OK while evaluating, except a rewind', async (t) => {
  t.match(evaluatePartition(w([10, 5], [10, 9]), 3, true), { status: 'OK', reason: /evaluating \(2 of 3/ });
  t.match(evaluatePartition(w([10, 5], [4, 11]), 3, true), { status: 'REWIND', reason: /from 10 to 4/ });
});

t.test('zero lag anywhere in the window: OK', async (t) => {
  t.equal(evaluatePartition(w([10, 5], [10, 0], [10, 8]), 3, true).status, 'OK');
});

t.test('offset not moving with lag: STALL with a live owner, STOP without', async (t) => {
  const stuck = w([10, 5], [10, 6], [10, 9]);
  t.match(evaluatePartition(stuck, 3, true), { status: 'STALL', reason: /offset 10 not moving for 20s with lag 9/ });
  t.match(evaluatePartition(stuck, 3, false), { status: 'STOP', reason: /no commits for 20s with lag 9/ });
  t.equal(evaluatePartition(w([10, 5], [10, 5], [10, 5]), 3, false).status, 'STOP', 'a fixed backlog with nobody consuming');
});

t.test('moving offset with lag never shrinking: WARN; shrinking: OK', async (t) => {
  t.match(evaluatePartition(w([10, 5], [12, 7], [15, 7]), 3, true), { status: 'WARN', reason: /5 → 7/ });
  t.equal(evaluatePartition(w([10, 5], [12, 8], [20, 3]), 3, true).status, 'OK');
});

t.test('REWIND wins over every other rule', async (t) => {
  t.equal(evaluatePartition(w([10, 5], [10, 5], [3, 12]), 3, true).status, 'REWIND');
});

t.test('the window slides: an old rewind leaves it', async (t) => {
  const window = new StatusWindow(3);
  for (const [committed, lag] of [
    [10, 5],
    [3, 12],
    [5, 10],
    [8, 7],
    [11, 4],
  ] as const)
    window.add({ at: committed * 1000, committed, lag });
  t.equal(window.evaluate(true).status, 'OK');
});
