import t from 'tap';
import { readFileSync } from 'node:fs';
import { CheckStore, STALE_INTERVALS } from '../src/checks/store.ts';
import { evaluate, ladder } from '../src/checks/levels.ts';
import { schedule, testCheck, valueCollection } from './helpers.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

t.test('evaluate picks the most severe crossed level', async (t) => {
  const disk = ladder(
    'above',
    { status: 'warn', at: 70, severity: 'SEV4' },
    { status: 'warn', at: 85, severity: 'SEV3' },
    { status: 'fail', at: 95, severity: 'SEV2' },
  );
  t.same(evaluate(69.99, disk), { status: 'pass', severity: null, level: null });
  t.equal(evaluate(70, disk).severity, 'SEV4');
  t.equal(evaluate(85, disk).severity, 'SEV3');
  t.equal(evaluate(97, disk).status, 'fail');
  const hit = ladder('below', { status: 'warn', at: 70, severity: 'SEV3' }, { status: 'fail', at: 50, severity: 'SEV2' });
  t.equal(evaluate(70, hit).status, 'pass');
  t.equal(evaluate(69, hit).status, 'warn');
  t.equal(evaluate(49, hit).status, 'fail');
});

t.test('first observation settles at once; later changes need consecutive results', async (t) => {
  const store = new CheckStore();
  const policy = schedule({ failureThreshold: 3, successThreshold: 2, intervalMs: 1000 });
  const obs = (v: number) => valueCollection(v).checks;
  let tr = store.record('p', policy, obs(10), at(0));
  t.same(
    tr.map((x) => [x.from, x.to]),
    [[null, 'pass']],
  );
  t.same(store.record('p', policy, obs(95), at(1)), [], '1st fail pending');
  t.same(store.record('p', policy, obs(95), at(2)), [], '2nd fail pending');
  t.equal(store.views(at(2))[0]?.status, 'pass', 'still pass while pending');
  t.equal(store.views(at(2))[0]?.observedValue, 95, 'latest value shown');
  tr = store.record('p', policy, obs(95), at(3));
  t.same(
    tr.map((x) => [x.from, x.to, x.entry.severity]),
    [['pass', 'fail', 'SEV2']],
  );
  t.equal(store.views(at(3))[0]?.since.getTime(), at(3).getTime());
  t.same(store.record('p', policy, obs(10), at(4)), [], 'one success is not enough');
  t.same(store.record('p', policy, obs(95), at(5)), [], 'a fail resets the recovery count');
  t.same(store.record('p', policy, obs(10), at(6)), []);
  tr = store.record('p', policy, obs(10), at(7));
  t.same(
    tr.map((x) => [x.from, x.to]),
    [['fail', 'pass']],
  );
});

t.test('a severity change within the same status is a transition', async (t) => {
  const store = new CheckStore();
  const policy = schedule({ failureThreshold: 1 });
  const c = (v: number, sev: 'SEV3' | 'SEV4') => [{ ...valueCollection(v).checks[0]!, severity: sev }];
  store.record('p', policy, c(75, 'SEV4'), at(0));
  const tr = store.record('p', policy, c(86, 'SEV3'), at(1));
  t.same(
    tr.map((x) => [x.from, x.to, x.entry.severity]),
    [['warn', 'warn', 'SEV3']],
  );
});

t.test('results older than three intervals are failed and stale', async (t) => {
  const store = new CheckStore();
  store.record('p', schedule({ intervalMs: 1000 }), valueCollection(10).checks, at(0));
  t.equal(store.views(at(3))[0]?.status, 'pass', 'exactly 3 intervals is not stale');
  const v = store.views(at(4))[0];
  t.equal(v?.status, 'fail');
  t.equal(v?.output, 'stale');
  t.equal(v?.stale, true);
  t.equal(v?.severity, 'SEV2');
});

t.test('components no longer reported disappear; failures keep known components', async (t) => {
  const store = new CheckStore();
  const policy = schedule({ failureThreshold: 1 });
  store.record('p', policy, [...valueCollection(10, 'a').checks, ...valueCollection(10, 'b').checks], at(0));
  t.equal(store.size, 2);
  store.record('p', policy, valueCollection(10, 'a').checks, at(1));
  t.same(
    store.views(at(1)).map((v) => v.componentId),
    ['a'],
  );
  const tr = store.recordFailure('p', policy, [testCheck], 'timed out after 5s', at(2));
  t.same(
    tr.map((x) => [x.entry.componentId, x.to, x.entry.output]),
    [['a', 'fail', 'timed out after 5s']],
  );
});

t.test('a probe failing before any success gets one entry per declared check', async (t) => {
  const store = new CheckStore();
  store.recordFailure('db', schedule(), [testCheck], 'connection refused', at(0));
  const [v] = store.views(at(0));
  t.equal(v?.componentId, 'db');
  t.equal(v?.status, 'fail');
  t.equal(v?.severity, 'SEV2');
});

t.test('the stale-probe alert waits as many intervals as the store does before reporting stale', async (t) => {
  const rules = readFileSync(new URL('../deploy/prometheus/alerts.yaml', import.meta.url), 'utf8');
  const stale = rules.match(/alert: VigilProbeStale[\s\S]*?expr: .*> (\d+) \* vigil_probe_interval_seconds/);
  t.equal(Number(stale?.[1]), STALE_INTERVALS);
});

t.test('criticalFailing: exactly the critical, failing (or stale) views, by key', async (t) => {
  const store = new CheckStore();
  const critical = schedule({ failureThreshold: 1, intervalMs: 1000, critical: true });
  const plain = schedule({ failureThreshold: 1, intervalMs: 1000, critical: false });
  store.record('b-critical-fail', critical, valueCollection(99, 'b').checks, at(0));
  store.record('a-critical-fail', critical, valueCollection(99, 'a').checks, at(0));
  store.record('critical-pass', critical, valueCollection(10, 'c').checks, at(0));
  store.record('plain-fail', plain, valueCollection(99, 'd').checks, at(0));
  const expected = (now: Date) => store.views(now).filter((v) => v.critical && v.status === 'fail');
  t.same(store.criticalFailing(at(1)), expected(at(1)), 'same as filtering every view');
  t.same(
    store.criticalFailing(at(1)).map((v) => v.probe),
    ['a-critical-fail', 'b-critical-fail'],
    'critical failing ones only, in key order',
  );
  const later = at(1 + STALE_INTERVALS * 2);
  t.same(store.criticalFailing(later), expected(later), 'stale: every critical check fails');
  t.equal(store.criticalFailing(later).length, 3);
});
