import t from 'tap';
import { z } from 'zod';
import { cgroupVersion, parseFlatKeyed, readOptionalText } from '../../src/probes/host-files.ts';
import { formatBytes } from '../../src/text.ts';
import { judgePercent } from '../../src/checks/judge.ts';
import { ascendingPercents, levelLadder, nonNegative, orderedLevels, percentLadder } from '../../src/config/thresholds.ts';
import { evaluate } from '../../src/checks/levels.ts';
import { raceDeadline, TimeoutError } from '../../src/deadline.ts';
import { diskUtilization } from '../../src/probes/disk/metadata.ts';
import { fixture, live } from './helpers.ts';

t.test('parseFlatKeyed reads key value lines and skips junk', async (t) => {
  const values = parseFlatKeyed('nr_periods 10\nnr_throttled 2\n\ngarbage\nthrottled_usec 9223372036854775807\n');
  t.same([...values.keys()], ['nr_periods', 'nr_throttled', 'throttled_usec']);
  t.equal(values.get('nr_throttled'), 2);
  t.equal(values.get('throttled_usec'), 2 ** 63); // the fixture's 9223372036854775807 as the nearest double
});

t.test('readOptionalText: missing files are undefined, present ones are read', async (t) => {
  t.equal(await readOptionalText(`${fixture('no-cgroup').sys}/fs/cgroup/memory.max`, live()), undefined);
  t.equal(await readOptionalText(`${fixture('cgroup-v2-limit').sys}/fs/cgroup/memory.max`, live()), '536870912\n');
});

t.test('cgroupVersion looks for cgroup.controllers', async (t) => {
  t.equal(await cgroupVersion(fixture('cgroup-v2-limit').sys), 2);
  t.equal(await cgroupVersion(fixture('cgroup-v1').sys), 1);
  t.equal(await cgroupVersion(fixture('no-cgroup').sys), 1);
});

t.test('raceDeadline', async (t) => {
  t.equal(await raceDeadline(Promise.resolve(7), 1000, live(), 'x'), 7);
  await t.rejects(raceDeadline(Promise.reject(new Error('boom')), 1000, live(), 'x'), { message: 'boom' });

  const hang = new Promise<never>(() => {});
  const started = performance.now();
  await t.rejects(raceDeadline(hang, 50, live(), 'statfs'), new TimeoutError('statfs timed out after 50ms'));
  t.ok(performance.now() - started >= 45, 'waited for the deadline');

  const ac = new AbortController();
  const reason = new Error('run aborted');
  setTimeout(() => ac.abort(reason), 20);
  await t.rejects(raceDeadline(hang, 10_000, ac.signal, 'statfs'), reason, 'rejects with the signal reason');
  await t.rejects(raceDeadline(hang, 10_000, ac.signal, 'statfs'), reason, 'already aborted: rejects at once');
});

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(512), '512 B');
  t.equal(formatBytes(50 * 2 ** 30), '50 GiB');
  t.equal(formatBytes(12.1 * 2 ** 30), '12.1 GiB');
  t.equal(formatBytes(1536 * 2 ** 20), '1.5 GiB');
});

t.test('ascendingPercents merges with defaults and requires ascending levels', async (t) => {
  const schema = ascendingPercents(['warn', 'high', 'fail'], { warn: 70, high: 85, fail: 95 });
  t.same(schema.parse({ warn: 60 }), { warn: 60 });
  t.same(schema.parse({}), {});

  const tooLow = schema.safeParse({ fail: 80 });
  t.notOk(tooLow.success);
  t.same(
    tooLow.error?.issues.map((i) => [i.path.join('.'), i.message]),
    [['fail', 'must be greater than high (85, the default)']],
  );

  const inverted = schema.safeParse({ warn: 90, high: 80, fail: 99 });
  t.same(
    inverted.error?.issues.map((i) => [i.path.join('.'), i.message]),
    [['high', 'must be greater than warn (90)']],
  );

  const pushesDefault = schema.safeParse({ warn: 90 });
  t.same(
    pushesDefault.error?.issues.map((i) => [i.path.join('.'), i.message]),
    [['warn', 'must be less than high (85, the default)']],
    'points at the key the user wrote',
  );

  t.notOk(schema.safeParse({ warn: 101 }).success, 'percent range');
  t.notOk(schema.safeParse({ warn: 'x' }).success, 'type');
  const unknown = schema.safeParse({ critical: 99 });
  t.equal(unknown.error?.issues[0]?.code, 'unrecognized_keys');

  // optional levels without a default (cpu throttling's fail)
  const optional = ascendingPercents(['warn', 'fail'], { warn: 25 });
  t.ok(optional.safeParse({}).success);
  t.notOk(optional.safeParse({ fail: 20 }).success);
  t.ok(z.object({ x: optional.optional() }).safeParse({}).success);
});

t.test('orderedLevels below: a falling ratio (cache hit rate) must descend', async (t) => {
  const schema = orderedLevels(['warn', 'fail'], { warn: 70, fail: 50 }, { direction: 'below' });
  t.ok(schema.safeParse({ warn: 80 }).success);
  t.same(
    schema.safeParse({ fail: 75 }).error?.issues.map((i) => [i.path.join('.'), i.message]),
    [['fail', 'must be less than warn (70, the default)']],
  );
  t.same(
    schema.safeParse({ warn: 40 }).error?.issues.map((i) => [i.path.join('.'), i.message]),
    [['warn', 'must be greater than fail (50, the default)']],
  );
  const ladder = levelLadder(
    { warn: 80 },
    [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 70 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 50 },
    ],
    'below',
  );
  t.equal(evaluate(79, ladder).status, 'warn');
  t.equal(evaluate(49, ladder).status, 'fail');
  t.equal(evaluate(80, ladder).status, 'pass');

  const seconds = orderedLevels(['warn', 'fail'], { warn: 30, fail: 60 }, { value: nonNegative });
  t.ok(seconds.safeParse({ warn: 500, fail: 900 }).success, 'not limited to 100');
  t.notOk(seconds.safeParse({ warn: -1 }).success);
});

t.test('percentLadder and judgePercent', async (t) => {
  const ladder = percentLadder({ high: 80 }, diskUtilization.ladder!.levels);
  t.same(
    ladder.levels.map((l) => [l.status, l.at, l.severity]),
    [
      ['warn', 70, 'SEV4'],
      ['warn', 80, 'SEV3'],
      ['fail', 95, 'SEV2'],
    ],
  );
  const obs = judgePercent(diskUtilization, '/var', 72.4049, ladder, 'used', '12.1 GiB free of 50 GiB');
  t.equal(obs.observedValue, 72.4);
  t.equal(obs.output, '72.4 % used (warn ≥ 70 %), 12.1 GiB free of 50 GiB');
  t.equal(judgePercent(diskUtilization, '/', 10, ladder, 'used').output, '10 % used');
});
