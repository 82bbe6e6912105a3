import t from 'tap';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { memoryKind } from '../../src/probes/memory/index.ts';
import { hostMemoryFrom, parseMeminfo, usedPercent } from '../../src/probes/memory/meminfo.ts';
import { cgroupMemoryFrom } from '../../src/probes/memory/cgroup.ts';
import * as m from '../../src/probes/memory/metadata.ts';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import { checkOf, context, copyScenario, fixture, hostAt, live, settingsOf, valueOf, verdict } from './helpers.ts';
import { memoryConfig } from '../../src/probes/memory/config.ts';

const KiB = 1024;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

function collect(host: ReturnType<typeof fixture>, section?: unknown) {
  return memoryKind.create(settingsOf(memoryConfig, section), context(host)).collect(live());
}

t.test('parseMeminfo converts kB to bytes', async (t) => {
  const fields = parseMeminfo('MemTotal:       16 kB\nHugePages_Total:       3\nbogus line\nMemAvailable:    8 kB\n');
  t.same(
    [...fields],
    [
      ['MemTotal', 16 * KiB],
      ['HugePages_Total', 3],
      ['MemAvailable', 8 * KiB],
    ],
  );
});

t.test('hostMemoryFrom', async (t) => {
  const modern = hostMemoryFrom(parseMeminfo('MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 40 kB\nBuffers: 5 kB\nCached: 20 kB\n'));
  t.equal(modern.availableBytes, 40 * KiB);
  t.equal(usedPercent(modern), 60);
  const old = hostMemoryFrom(parseMeminfo('MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 20 kB\n'));
  t.equal(old.availableBytes, 35 * KiB, 'MemFree + Buffers + Cached before kernel 3.14');
  t.equal(old.swapTotalBytes, 0);
  t.throws(() => hostMemoryFrom(parseMeminfo('MemFree: 10 kB\n')), /MemTotal/);
});

t.test('cgroupMemoryFrom', async (t) => {
  const host = 16 * GiB;
  t.same(cgroupMemoryFrom(2, { limit: 'max\n', usage: '1000\n', stat: 'inactive_file 300\n' }, host), {
    version: 2,
    usageBytes: 1000,
    workingSetBytes: 700,
    limitBytes: null,
  });
  t.equal(cgroupMemoryFrom(2, { limit: '4096\n', usage: '1000\n', stat: undefined }, host)?.workingSetBytes, 1000, 'no memory.stat: inactive 0');
  t.equal(cgroupMemoryFrom(2, { limit: '4096\n', usage: '100\n', stat: 'inactive_file 300\n' }, host)?.workingSetBytes, 0, 'floored at 0');
  t.equal(cgroupMemoryFrom(2, { limit: '4096', usage: undefined, stat: undefined }, host), undefined, 'no controller');
  t.equal(cgroupMemoryFrom(1, { limit: '9223372036854771712\n', usage: '10', stat: undefined }, host)?.limitBytes, null, 'v1 unlimited');
  t.equal(cgroupMemoryFrom(1, { limit: String(host), usage: '10', stat: undefined }, host)?.limitBytes, null, 'v1 limit ≥ MemTotal');
  t.equal(cgroupMemoryFrom(1, { limit: String(GiB), usage: '10', stat: undefined }, host)?.limitBytes, GiB);
  t.equal(
    cgroupMemoryFrom(1, { limit: String(GiB), usage: '1000', stat: 'inactive_file 1\ntotal_inactive_file 400\n' }, host)?.workingSetBytes,
    600,
    'v1 uses total_inactive_file',
  );
  t.throws(() => cgroupMemoryFrom(2, { limit: 'lots', usage: '1', stat: undefined }, host), /memory.max: not a byte count/);
});

t.test('collect: cgroup v1 with a limit', async (t) => {
  const c = await collect(fixture('cgroup-v1'));
  t.equal(valueOf(c, m.memoryTotal), 16 * GiB);
  t.equal(valueOf(c, m.memoryAvailable), 4 * GiB);
  t.equal(valueOf(c, m.memoryFree), 2 * GiB);
  t.equal(valueOf(c, m.memoryBuffers), 256 * MiB);
  t.equal(valueOf(c, m.memoryCached), 3 * GiB);
  t.equal(valueOf(c, m.memorySwapTotal), 2 * GiB);
  t.equal(valueOf(c, m.memorySwapFree), GiB);
  const host = checkOf(c, 'memory:utilization', 'host');
  t.equal(host?.observedValue, 75);
  t.equal(host?.output, '75 % used, 4 GiB available of 16 GiB');
  t.same(verdict(host), { status: 'pass', severity: null });
  t.equal(host?.check.playbook, 'High Memory Usage');

  t.equal(valueOf(c, m.containerUsage), 900 * MiB);
  t.equal(valueOf(c, m.containerWorkingSet), 800 * MiB);
  t.equal(valueOf(c, m.containerLimit), GiB);
  const container = checkOf(c, 'memory:container_utilization', 'container');
  t.equal(container?.observedValue, 78.13);
  t.same(verdict(container), { status: 'pass', severity: null });
  t.same(c.errors, []);
});

t.test('collect: cgroup v2 with a limit', async (t) => {
  const c = await collect(fixture('cgroup-v2-limit'));
  t.same(verdict(checkOf(c, 'memory:utilization', 'host')), { status: 'warn', severity: 'SEV3' }, 'host at 85 %');
  t.equal(valueOf(c, m.containerLimit), 512 * MiB);
  t.equal(valueOf(c, m.containerWorkingSet), 480 * MiB);
  const container = checkOf(c, 'memory:container_utilization', 'container');
  t.equal(container?.observedValue, 93.75);
  t.equal(container?.output, '93.75 % of limit (fail ≥ 90 %), working set 480 MiB of 512 MiB');
  t.same(verdict(container), { status: 'fail', severity: 'SEV2' });

  const relaxed = await collect(fixture('cgroup-v2-limit'), { container_thresholds: { warn: 94, fail: 99 } });
  t.same(verdict(checkOf(relaxed, 'memory:container_utilization', 'container')), { status: 'pass', severity: null }, 'configured levels');
});

t.test('collect: cgroup v2 without a limit', async (t) => {
  const c = await collect(fixture('cgroup-v2-unlimited'));
  t.equal(valueOf(c, m.containerUsage), 500 * MiB);
  t.equal(valueOf(c, m.containerLimit), undefined);
  t.notOk(checkOf(c, 'memory:container_utilization', 'container'), 'no container check without a limit');
  t.same(c.errors, []);
});

t.test('collect: no cgroup, old kernel', async (t) => {
  const c = await collect(fixture('no-cgroup'));
  t.equal(valueOf(c, m.memoryAvailable), 3407872 * KiB);
  t.equal(checkOf(c, 'memory:utilization', 'host')?.observedValue, 59.38);
  t.equal(c.samples.filter((s) => s.metric.name.startsWith('vigil_container_')).length, 0);
  t.same(
    c.checks.map((o) => o.check.id),
    ['memory:utilization'],
  );
  t.same(c.errors, []);
});

t.test('collect: unreadable cgroup values are a partial failure', async (t) => {
  const dir = await copyScenario(t, 'cgroup-v2-limit');
  await writeFile(join(dir, 'sys/fs/cgroup/memory.current'), 'garbage\n');
  const c = await collect(hostAt(dir));
  t.ok(checkOf(c, 'memory:utilization', 'host'), 'host check still reported');
  const container = checkOf(c, 'memory:container_utilization', 'container');
  t.same(verdict(container), { status: 'fail', severity: 'SEV2' });
  t.match(container?.output, /^cgroup memory: memory.current: not a byte count/);
  t.match(c.errors, [{ componentId: 'container', message: /memory.current/ }]);
});

t.test('collect: without meminfo the run fails', async (t) => {
  await t.rejects(collect({ ...fixture('no-cgroup'), proc: '/nonexistent' }), { code: 'ENOENT' });
});

t.test('kind', async (t) => {
  t.same(
    memoryConfig.resolve({ section: { enabled: false }, defaults: BUILTIN_SCHEDULE, env: {} }, () => {}),
    [],
  );
  const settings = settingsOf(memoryConfig, { thresholds: { warn: 70 } });
  t.equal(settings.name, 'memory');
  t.same(
    settings.options.thresholds.levels.map((l) => [l.status, l.at, l.severity]),
    [
      ['warn', 70, 'SEV3'],
      ['fail', 90, 'SEV2'],
    ],
  );
  t.notOk(memoryConfig.schema.safeParse({ thresholds: { warn: 95 } }).success, 'warn above the default fail');
  t.notOk(memoryConfig.schema.safeParse({ swap: true }).success, 'unknown key');
  const probe = memoryKind.create(settings, context(fixture('no-cgroup')));
  t.equal(probe.kind, 'memory');
  t.same(
    probe.checks.map((c) => c.id),
    ['memory:utilization', 'memory:container_utilization'],
  );
});
