import t from 'tap';
import { CheckStore } from '../src/checks/store.ts';
import { registerCoreMetrics } from '../src/metrics/core.ts';
import { MetricStore } from '../src/metrics/family.ts';
import { Runner } from '../src/runner/runner.ts';
import { captureLogs, delay, logLineErrors, ScriptedProbe, settingsFor, testMetric, valueCollection, waitFor } from './helpers.ts';
import type { ProbeSchedule } from '../src/config/common.ts';

function setup(probe: ScriptedProbe, overrides: Partial<ProbeSchedule> = {}) {
  const logs = captureLogs();
  const checks = new CheckStore();
  const metrics = new MetricStore();
  const core = registerCoreMetrics(metrics, checks);
  const runner = new Runner([{ probe, settings: settingsFor(probe.name, overrides) }], { checks, metrics, core, logger: logs.logger, random: () => 0 });
  return { logs, checks, metrics, runner };
}

t.test('a run that ignores its signal fails at the timeout and is not started twice', async (t) => {
  const probe = new ScriptedProbe('slow', ['hang']);
  const { runner, checks, metrics, logs } = setup(probe, { intervalMs: 100, timeoutMs: 50, failureThreshold: 1 });
  const t0 = Date.now();
  await runner.start();
  t.ok(Date.now() - t0 < 1000, 'first round ends at the timeout');
  t.equal(runner.firstRoundDone, true);
  const [v] = checks.views(new Date());
  t.equal(v?.status, 'fail');
  t.equal(v?.output, 'timed out after 50ms');
  await delay(350);
  t.equal(probe.calls, 1, 'hung run never restarted');
  t.ok((metrics.value((await import('../src/metrics/core.ts')).probeRuns, { probe: 'slow', result: 'skipped' }) ?? 0) >= 2, 'skipped runs counted');
  t.match(checks.views(new Date())[0]?.output, /previous run still in progress/);
  await runner.stop();
  t.equal(probe.stopped, true);
  const failures = logs.lines.filter((l) => l.event === 'probe.failed');
  t.equal(failures.length, 2, 'one line for the timeout, one when the reason changed, not one per run');
});

t.test('errors fail the checks; recovery is logged once; success stays quiet', async (t) => {
  const probe = new ScriptedProbe('flaky', [valueCollection(10), new Error('connection refused'), new Error('connection refused'), valueCollection(10)]);
  const { runner, checks, metrics, logs } = setup(probe, { intervalMs: 30, timeoutMs: 20, failureThreshold: 2, successThreshold: 1 });
  await runner.start();
  t.equal(checks.views(new Date())[0]?.status, 'pass');
  t.equal(metrics.value(testMetric, { item: 'c1' }), 0.1);
  await waitFor(() => probe.calls >= 6, 3000);
  await runner.stop();
  const events = logs.lines.map((l) => l.event);
  t.equal(events.filter((e) => e === 'probe.failed').length, 1, 'failure logged once');
  t.equal(events.filter((e) => e === 'probe.recovered').length, 1, 'recovery logged once');
  const transitions = logs.lines.filter((l) => l.event === 'check.transition');
  t.same(
    transitions.map((l) => [(l.details as Record<string, unknown>).from, (l.details as Record<string, unknown>).to, l.level, l.severity_label]),
    [
      ['pass', 'fail', 'ERROR', 'SEV2'],
      ['fail', 'pass', 'INFO', undefined],
    ],
  );
  t.equal(metrics.value(testMetric, { item: 'c1' }), 0.1, 'series back after recovery');
  for (const line of logs.lines) t.same(logLineErrors(line), [], `log line valid: ${line.message}`);
});

t.test('series of a failed run are withdrawn', async (t) => {
  const probe = new ScriptedProbe('gone', [valueCollection(10), new Error('boom')]);
  const { runner, metrics } = setup(probe, { intervalMs: 20, timeoutMs: 10 });
  await runner.start();
  t.equal(metrics.value(testMetric, { item: 'c1' }), 0.1);
  await waitFor(() => probe.calls >= 2);
  await delay(5);
  await runner.stop();
  t.equal(metrics.value(testMetric, { item: 'c1' }), undefined);
});

t.test('stop aborts the signal of a run in flight', async (t) => {
  let seen: AbortSignal | undefined;
  const probe = new ScriptedProbe('abortable', [
    (signal) =>
      new Promise((_, reject) => {
        seen = signal;
        signal.addEventListener('abort', () => reject(signal.reason));
      }),
  ]);
  const { runner } = setup(probe, { intervalMs: 10_000, timeoutMs: 5_000 });
  void runner.start();
  await waitFor(() => seen !== undefined);
  await runner.stop();
  t.equal(seen?.aborted, true);
});

t.test('a malformed probe result fails the probe and its checks, and the probe keeps running', async (t) => {
  const malformed = { samples: [], checks: null, errors: undefined } as unknown as ReturnType<typeof valueCollection>;
  const probe = new ScriptedProbe('broken', [valueCollection(10), malformed, malformed, valueCollection(10)]);
  const { runner, checks, metrics, logs } = setup(probe, { intervalMs: 30, timeoutMs: 20, failureThreshold: 1 });
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  await runner.start();
  await waitFor(() => probe.calls >= 2, 3000);
  await delay(10);
  const { probeSuccess } = await import('../src/metrics/core.ts');
  t.equal(metrics.value(probeSuccess, { probe: 'broken' }), 0, 'success 0 after a malformed result');
  t.equal(checks.views(new Date())[0]?.status, 'fail', 'its checks fail');
  t.match(checks.views(new Date())[0]?.output, /malformed result/);
  await waitFor(() => probe.calls >= 5, 3000);
  await runner.stop();
  t.ok(probe.calls >= 5, `the probe is re-armed after a malformed result (${probe.calls} runs)`);
  t.equal(checks.views(new Date())[0]?.status, 'pass', 'and recovers');
  t.same(unhandled, [], 'no unhandled rejection');
  t.ok(logs.lines.some((l) => l.event === 'probe.failed'));
});

t.test('a probe that fails before its first success keeps the component ids it will use', async (t) => {
  const probe = Object.assign(new ScriptedProbe('kind/orders', [new Error('connection refused'), valueCollection(10, 'orders')]), { componentId: 'orders' });
  const { runner, checks, logs } = setup(probe, { intervalMs: 30, timeoutMs: 20, failureThreshold: 1 });
  await runner.start();
  t.same(
    checks.views(new Date()).map((v) => [v.componentId, v.status]),
    [['orders', 'fail']],
  );
  await waitFor(() => probe.calls >= 2, 3000);
  await delay(10);
  await runner.stop();
  t.same(
    checks.views(new Date()).map((v) => [v.componentId, v.status]),
    [['orders', 'pass']],
    'same entry, now passing',
  );
  const transitions = logs.lines
    .filter((l) => l.event === 'check.transition')
    .map((l) => [(l.details as Record<string, unknown>).component_id, (l.details as Record<string, unknown>).from, (l.details as Record<string, unknown>).to]);
  t.same(
    transitions,
    [
      ['orders', null, 'fail'],
      ['orders', 'fail', 'pass'],
    ],
    'a fail → pass transition, not a vanished entry and a new null → pass',
  );
});

t.test('a probe publishes at most MAX_SERIES_PER_PROBE series; the rest are counted and warned about once', async (t) => {
  const { MAX_SERIES_PER_PROBE } = await import('../src/runner/runner.ts');
  const { probeDroppedSeries } = await import('../src/metrics/core.ts');
  const big = valueCollection(10);
  const many = {
    ...big,
    samples: Array.from({ length: MAX_SERIES_PER_PROBE + 2000 }, (_, i) => ({ metric: testMetric, labels: { item: `c${i}` }, value: i })),
  };
  const probe = new ScriptedProbe('huge', [many, many, valueCollection(10)]);
  const { runner, metrics, logs } = setup(probe, { intervalMs: 100, timeoutMs: 50 });
  await runner.start();
  t.equal(metrics.value(probeDroppedSeries, { probe: 'huge' }), 2000, 'dropped series counted');
  t.equal(metrics.value(testMetric, { item: `c${MAX_SERIES_PER_PROBE - 1}` }), MAX_SERIES_PER_PROBE - 1, 'the first ones kept');
  t.equal(metrics.value(testMetric, { item: `c${MAX_SERIES_PER_PROBE}` }), undefined, 'the rest not published');
  await waitFor(() => probe.calls >= 3, 3000);
  await delay(20);
  await runner.stop();
  t.equal(metrics.value(probeDroppedSeries, { probe: 'huge' }), 0, 'back to 0 under the cap');
  t.equal(logs.lines.filter((l) => l.event === 'probe.series_capped').length, 1, 'one warning, not one per run');
  t.equal(logs.lines.filter((l) => l.event === 'probe.series_cap_cleared').length, 1);
});
