import t from 'tap';
import { EventLoopWatch } from '../src/http/liveness.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an idle loop is healthy, a stalled one is not', async (t) => {
  const watch = new EventLoopWatch(100, 400, 50);
  t.teardown(() => watch.close());
  await sleep(500);
  t.ok(watch.window().meanMs < 30, `idle loop: mean delay ${watch.window().meanMs} ms`);
  t.equal(watch.report().healthy, true);

  const until = Date.now() + 700;
  while (Date.now() < until); // stall the loop
  await sleep(60); // the stalled sample closed its window
  t.ok(watch.window().maxMs >= 600, `stalled loop: max delay ${watch.window().maxMs} ms`);
  t.ok(watch.window().utilization > 0.5, `utilization ${watch.window().utilization}`);
  t.equal(watch.report().healthy, false);
  t.match(watch.report(), { eventLoopDelayMs: Number });
});
