import t from 'tap';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { cpuKind } from '../../src/probes/cpu/index.ts';
import { CpuProbe } from '../../src/probes/cpu/probe.ts';
import { busyRatio, parseCpuTimes, parseLoadavg, parseStat } from '../../src/probes/cpu/stat.ts';
import { cgroupCpuFrom, throttledRatio } from '../../src/probes/cpu/cgroup.ts';
import * as m from '../../src/probes/cpu/metadata.ts';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import type { HostPaths } from '../../src/probes/types.ts';
import { checkOf, context, copyScenario, fixture, hostAt, live, settingsOf, valueOf, verdict } from './helpers.ts';
import { cpuConfig } from '../../src/probes/cpu/config.ts';

function probe(host: HostPaths, section?: unknown, minSampleAgeMs = 0) {
  return new CpuProbe(settingsOf(cpuConfig, section), context(host), { minSampleAgeMs });
}

t.test('parseCpuTimes reads the aggregate line', async (t) => {
  const times = parseCpuTimes('cpu  10 1 3 80 5 0 2 4 7 0\ncpu0 1 1 1 1 1 1 1 1 1 1\n');
  t.same(times, { user: 10, nice: 1, system: 3, idle: 80, iowait: 5, irq: 0, softirq: 2, steal: 4 }, 'guest is not added again');
  t.same(parseCpuTimes('cpu 1 2 3 4\n'), { user: 1, nice: 2, system: 3, idle: 4, iowait: 0, irq: 0, softirq: 0, steal: 0 }, 'old kernels');
  t.throws(() => parseCpuTimes('cpu0 1 2 3 4\n'), /no aggregate cpu line/);
  t.throws(() => parseCpuTimes('cpu x y z w\n'), /unreadable/);
});

t.test('parseStat reads one line per online CPU', async (t) => {
  const stat = parseStat('cpu  10 1 3 80 5 0 2 4 7 0\ncpu0 6 1 2 40 3 0 1 2 0 0\ncpu2 4 0 1 40 2 0 1 2 7 0\nintr 1 2\nctxt 5\n');
  t.same(stat.total.user, 10);
  t.same([...stat.perCpu.keys()], ['0', '2'], 'cpu1 offline: no line, no series');
  t.same(stat.perCpu.get('2'), { user: 4, nice: 0, system: 1, idle: 40, iowait: 2, irq: 0, softirq: 1, steal: 2 });
  t.throws(() => parseStat('cpu 1 2 3 4\ncpu0 1 x 3 4\n'), /unreadable cpu line: cpu0/);
  t.equal(parseStat('cpu 1 2 3 4\n').perCpu.size, 0, 'kernels without per-CPU lines');
});

t.test('busyRatio counts iowait as idle', async (t) => {
  const a = parseCpuTimes('cpu 100 0 100 700 100 0 0 0\n');
  const b = parseCpuTimes('cpu 160 0 120 800 120 0 0 0\n'); // Δ 200, of which idle+iowait 120
  t.equal(busyRatio(a, b), 0.4);
  t.equal(busyRatio(a, a), 0, 'no time elapsed');
  t.equal(busyRatio(b, a), 0, 'counters went backwards');
});

t.test('parseLoadavg', async (t) => {
  t.same(parseLoadavg('0.50 0.40 0.30 2/345 6789\n'), { load1: 0.5, load5: 0.4, load15: 0.3 });
  t.throws(() => parseLoadavg('nope'), /unreadable loadavg/);
});

t.test('cgroupCpuFrom', async (t) => {
  t.same(cgroupCpuFrom(1, { stat: 'nr_periods 10\nnr_throttled 2\nthrottled_time 1500000000\n', quota: '50000\n', period: '100000\n' }), {
    version: 1,
    throttling: { periods: 10, throttledPeriods: 2, throttledSeconds: 1.5 },
    limitCores: 0.5,
  });
  t.equal(cgroupCpuFrom(1, { stat: 'nr_periods 0\nnr_throttled 0\n', quota: '-1\n', period: '100000\n' })?.limitCores, null, 'v1 -1 = no quota');
  t.same(cgroupCpuFrom(2, { stat: 'usage_usec 5\nnr_periods 4\nnr_throttled 1\nthrottled_usec 250000\n', max: '150000 100000\n' }), {
    version: 2,
    throttling: { periods: 4, throttledPeriods: 1, throttledSeconds: 0.25 },
    limitCores: 1.5,
  });
  t.equal(cgroupCpuFrom(2, { stat: 'nr_periods 4\nnr_throttled 1\n', max: 'max 100000\n' })?.limitCores, null, 'v2 max = no quota');
  t.equal(cgroupCpuFrom(2, { stat: 'usage_usec 5\nuser_usec 3\n', max: undefined }), undefined, 'root cgroup: no CFS counters');
  t.equal(cgroupCpuFrom(1, { stat: undefined }), undefined);
  t.throws(() => cgroupCpuFrom(1, { stat: undefined, quota: 'x', period: '100000' }), /unreadable CFS quota/);
});

t.test('throttledRatio', async (t) => {
  const a = { periods: 100, throttledPeriods: 10, throttledSeconds: 1 };
  t.equal(throttledRatio(a, { periods: 200, throttledPeriods: 35, throttledSeconds: 2 }), 0.25);
  t.equal(throttledRatio(a, a), 0, 'no period elapsed');
  t.equal(throttledRatio(a, { periods: 5, throttledPeriods: 1, throttledSeconds: 0 }), 0, 'counters reset');
});

t.test('collect: utilization over the interval since the last sample, cgroup v1 throttling', async (t) => {
  const dir = await copyScenario(t, 'cgroup-v1');
  const p = probe(hostAt(dir));
  await p.start(live());
  // Δ: user 600, system 200, idle 1100, iowait 100 → 1200 of 2000 ticks idle → 40 % busy
  await writeFile(
    join(dir, 'proc/stat'),
    'cpu  10600 200 3200 81100 600 0 300 0 0 0\ncpu0 5100 100 1600 40600 300 0 150 0 0 0\ncpu1 5500 100 1600 40500 300 0 150 0 0 0\n',
  );
  // 100 more periods, 40 of them throttled
  await writeFile(join(dir, 'sys/fs/cgroup/cpu/cpu.stat'), 'nr_periods 1100\nnr_throttled 140\nthrottled_time 3000000000\n');
  const c = await p.collect(live());

  t.equal(valueOf(c, m.cpuUtilization), 0.4);
  const util = checkOf(c, 'cpu:utilization', 'host');
  t.equal(util?.observedValue, 40);
  t.equal(util?.output, '40 % busy, load 0.5 0.4 0.3');
  t.same(verdict(util), { status: 'pass', severity: null });
  t.equal(util?.check.playbook, 'Severe Performance Degradation');
  t.equal(valueOf(c, m.cpuSeconds, { mode: 'user' }), 106);
  t.equal(valueOf(c, m.cpuSeconds, { mode: 'idle' }), 811);
  t.equal(c.samples.filter((s) => s.metric === m.cpuSeconds).length, 8);
  // Per-CPU series as node_exporter's node_cpu_seconds_total.
  t.equal(c.samples.filter((s) => s.metric === m.cpuCoreSeconds).length, 16, '2 CPUs × 8 modes');
  t.equal(valueOf(c, m.cpuCoreSeconds, { cpu: '1', mode: 'idle' }), 405);
  t.equal(valueOf(c, m.cpuCoreSeconds, { cpu: '0', mode: 'user' }), 51);
  t.equal(valueOf(c, m.load1), 0.5);
  t.equal(valueOf(c, m.load5), 0.4);
  t.equal(valueOf(c, m.load15), 0.3);

  t.equal(valueOf(c, m.cfsPeriods), 1100);
  t.equal(valueOf(c, m.cfsThrottledPeriods), 140);
  t.equal(valueOf(c, m.cfsThrottledSeconds), 3);
  t.equal(valueOf(c, m.throttledRatio), 0.4);
  t.equal(valueOf(c, m.cpuLimitCores), 0.5);
  const throttling = checkOf(c, 'cpu:throttling', 'container');
  t.equal(throttling?.observedValue, 40);
  t.equal(throttling?.output, '40 % of periods throttled (warn ≥ 25 %), limit 0.5 CPUs');
  t.same(verdict(throttling), { status: 'warn', severity: 'SEV4' });
  t.same(c.errors, []);

  // next interval: 1800 of 2000 ticks busy → 90 % → fail
  await writeFile(join(dir, 'proc/stat'), 'cpu  12400 200 3200 81300 600 0 300 0 0 0\n');
  const next = await p.collect(live());
  t.same(verdict(checkOf(next, 'cpu:utilization', 'host')), { status: 'fail', severity: 'SEV2' });
  t.equal(valueOf(next, m.throttledRatio), 0, 'no periods elapsed since the last run');
});

t.test('collect: cgroup v2 quota, and configured levels', async (t) => {
  const dir = await copyScenario(t, 'cgroup-v2-limit');
  const p = probe(hostAt(dir), { thresholds: { warn: 30, fail: 60 }, throttling_thresholds: { fail: 30 } });
  await p.start(live());
  await writeFile(join(dir, 'proc/stat'), 'cpu  10600 200 3200 81100 600 0 300 0 0 0\n');
  await writeFile(join(dir, 'sys/fs/cgroup/cpu.stat'), 'usage_usec 1\nnr_periods 2100\nnr_throttled 550\nthrottled_usec 9000000\n');
  const c = await p.collect(live());
  t.same(verdict(checkOf(c, 'cpu:utilization', 'host')), { status: 'warn', severity: 'SEV3' }, '40 % over warn 30');
  t.equal(valueOf(c, m.cpuLimitCores), 2);
  t.equal(valueOf(c, m.cfsThrottledSeconds), 9);
  t.equal(valueOf(c, m.throttledRatio), 0.5);
  t.same(verdict(checkOf(c, 'cpu:throttling', 'container')), { status: 'fail', severity: 'SEV3' }, 'optional fail level');
});

t.test('collect: no quota or no cgroup → no throttling check', async (t) => {
  const unlimited = await probe(fixture('cgroup-v2-unlimited')).collect(live());
  t.equal(valueOf(unlimited, m.cfsPeriods), 0);
  t.equal(valueOf(unlimited, m.cpuLimitCores), undefined);
  t.notOk(checkOf(unlimited, 'cpu:throttling', 'container'));

  const bare = probe(fixture('no-cgroup'));
  await bare.start(live());
  const c = await bare.collect(live());
  t.equal(c.samples.filter((s) => s.metric.name.startsWith('vigil_container_')).length, 0);
  t.same(
    c.checks.map((o) => o.check.id),
    ['cpu:utilization'],
  );
  t.equal(valueOf(c, m.cpuUtilization), 0, 'static /proc/stat: nothing elapsed');
  t.same(c.errors, []);
});

t.test('collect: partial failures', async (t) => {
  const dir = await copyScenario(t, 'cgroup-v1');
  await writeFile(join(dir, 'sys/fs/cgroup/cpu/cpu.cfs_quota_us'), 'lots\n');
  await writeFile(join(dir, 'proc/loadavg'), '\n');
  const c = await probe(hostAt(dir)).collect(live());
  t.ok(checkOf(c, 'cpu:utilization', 'host'), 'utilization still reported');
  t.equal(valueOf(c, m.load1), undefined);
  const throttling = checkOf(c, 'cpu:throttling', 'container');
  t.same(verdict(throttling), { status: 'fail', severity: 'SEV4' });
  t.match(throttling?.output, /^cgroup cpu: unreadable CFS quota/);
  t.match(c.errors, [
    { componentId: 'host', message: /^loadavg: / },
    { componentId: 'container', message: /^cgroup cpu: / },
  ]);

  await t.rejects(probe({ ...fixture('no-cgroup'), proc: '/nonexistent' }).collect(live()), { code: 'ENOENT' }, 'no /proc/stat: the run fails');
});

t.test('collect waits until the baseline is old enough', async (t) => {
  const p = new CpuProbe(settingsOf(cpuConfig), context(fixture('no-cgroup')));
  await p.start(live());
  const started = performance.now();
  await p.collect(live());
  t.ok(performance.now() - started >= 950, 'default: 1 s after start');

  const again = performance.now();
  const fast = probe(fixture('no-cgroup'), undefined, 300);
  await fast.collect(live()); // without start: takes its own baseline first
  t.ok(performance.now() - again >= 290);
});

t.test('the wait honours the signal', async (t) => {
  const p = probe(fixture('no-cgroup'), undefined, 10_000);
  await p.start(live());
  const ac = new AbortController();
  const reason = new Error('probe timeout');
  setTimeout(() => ac.abort(reason), 30);
  await t.rejects(p.collect(ac.signal), reason, 'instead of waiting 10 s');
});

t.test('kind', async (t) => {
  t.same(
    cpuConfig.resolve({ section: { enabled: false }, defaults: BUILTIN_SCHEDULE, env: {} }, () => {}),
    [],
  );
  const settings = settingsOf(cpuConfig);
  t.equal(settings.name, 'cpu');
  t.same(
    settings.options.thresholds.levels.map((l) => [l.status, l.at, l.severity]),
    [
      ['warn', 75, 'SEV3'],
      ['fail', 85, 'SEV2'],
    ],
  );
  t.same(
    settings.options.throttlingThresholds.levels.map((l) => [l.status, l.at, l.severity]),
    [['warn', 25, 'SEV4']],
    'no fail level by default',
  );
  t.notOk(cpuConfig.schema.safeParse({ throttling_thresholds: { warn: 50, fail: 40 } }).success);
  t.notOk(cpuConfig.schema.safeParse({ thresholds: { warn: 75, critical: 99 } }).success);
  const p = cpuKind.create(settings, context(fixture('no-cgroup')));
  t.equal(p.kind, 'cpu');
  t.same(
    p.checks.map((c) => c.id),
    ['cpu:utilization', 'cpu:throttling'],
  );
  t.ok(p.metrics.some((d) => d.name === 'vigil_cpu_seconds_total' && d.kind === 'counter'));
  await p.stop();
});
