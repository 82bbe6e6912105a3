import t from 'tap';
import { EventLoopWatch } from '../src/metrics/event-loop.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an idle loop is healthy, a stalled one is not', async (t) => {
  const watch = new EventLoopWatch(100, 400, 50, 1);
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

t.test('one stalled window is an overload, not a failure; stalls in a row are', async (t) => {
  // Before: a single window over the limit made /health answer 503 (kubelet restarts after 3).
  const watch = new EventLoopWatch(100, 300, 50, 2);
  t.teardown(() => watch.close());
  const stall = () => {
    const until = Date.now() + 700;
    while (Date.now() < until);
  };
  stall();
  await sleep(60);
  t.ok(watch.window().meanMs > 100, `stalled window: mean ${watch.window().meanMs} ms`);
  t.equal(watch.report().healthy, true, 'one window over the limit stays healthy');
  await sleep(400); // a calm window resets the run
  t.equal(watch.report().healthy, true);
  stall();
  await sleep(60);
  t.equal(watch.report().healthy, true, `after one stall: ${JSON.stringify(watch.window())}`);
  stall();
  await sleep(60);
  t.equal(watch.report().healthy, false, 'two windows in a row over the limit: unhealthy');
});
