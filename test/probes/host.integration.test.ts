// Against the machine running the tests: /proc, /sys and / as they are.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import { diskKind } from '../../src/probes/disk/index.ts';
import { memoryKind } from '../../src/probes/memory/index.ts';
import { cpuKind } from '../../src/probes/cpu/index.ts';
import { filesystemAvail, filesystemSize } from '../../src/probes/disk/metadata.ts';
import { memoryTotal } from '../../src/probes/memory/metadata.ts';
import { cpuUtilization } from '../../src/probes/cpu/metadata.ts';
import type { Collection } from '../../src/probes/types.ts';
import { checkOf, context, live, settingsOf } from './helpers.ts';
import { cpuConfig } from '../../src/probes/cpu/config.ts';
import { diskConfig } from '../../src/probes/disk/config.ts';
import { memoryConfig } from '../../src/probes/memory/config.ts';

const HOST = { proc: '/proc', sys: '/sys', rootfs: '/' };

function rootValue(c: Collection, metric: typeof filesystemAvail): number | undefined {
  return c.samples.find((s) => s.metric === metric && s.labels.mountpoint === '/')?.value;
}

/** Within `ratio` of `expected` (free space moves while tests run). */
function near(actual: number | undefined, expected: number, ratio = 0.01): boolean {
  return actual !== undefined && Math.abs(actual - expected) <= expected * ratio;
}

t.test('disk reports / like statfs and df', async (t) => {
  const c = await diskKind.create(settingsOf(diskConfig), context(HOST)).collect(live());
  const use = checkOf(c, 'disk:utilization', '/');
  t.ok(use, '/ is watched');
  t.type(use?.observedValue, 'number', use?.output ?? 'no output');

  const s = await statfs('/', { bigint: true });
  const avail = Number(s.bavail * s.bsize);
  t.ok(near(rootValue(c, filesystemAvail), avail), `avail ${rootValue(c, filesystemAvail)} ≈ statfs ${avail}`);
  t.equal(rootValue(c, filesystemSize), Number(s.blocks * s.bsize));

  // -P: one line per filesystem, whatever the device name's length.
  const df = (await promisify(execFile)('df', ['-P', '-B1', '/'])).stdout;
  const fields = (df.trim().split('\n').at(-1) ?? '').trim().split(/\s+/);
  const [dfAvail, dfPercent] = [fields.at(-3), fields.at(-2)];
  t.ok(near(rootValue(c, filesystemAvail), Number(dfAvail)), `avail ≈ df ${dfAvail}`);
  // df rounds Use% up to a whole percent.
  const ours = use?.observedValue as number;
  t.ok(Math.abs(ours - parseInt(dfPercent ?? '', 10)) <= 1, `${ours} % ≈ df ${dfPercent}`);
});

t.test('memory total is MemTotal', async (t) => {
  const c = await memoryKind.create(settingsOf(memoryConfig), context(HOST)).collect(live());
  const kB = Number(/^MemTotal:\s+(\d+) kB$/m.exec(await readFile('/proc/meminfo', 'utf8'))?.[1]);
  t.equal(c.samples.find((s) => s.metric === memoryTotal)?.value, kB * 1024);
  const used = checkOf(c, 'memory:utilization', 'host')?.observedValue as number;
  t.ok(used > 0 && used < 100, `${used} % used`);
});

t.test('cpu utilization is a ratio', async (t) => {
  const probe = cpuKind.create(settingsOf(cpuConfig), context(HOST));
  await probe.start(live());
  const c = await probe.collect(live());
  const ratio = c.samples.find((s) => s.metric === cpuUtilization)?.value;
  t.ok(ratio !== undefined && ratio >= 0 && ratio <= 1, `utilization ${ratio}`);
  t.same(c.errors, []);
  await probe.stop();
});
