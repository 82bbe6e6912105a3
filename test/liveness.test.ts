import t from 'tap';
import { EventLoopWatch } from '../src/http/liveness.ts';

t.test('event-loop delay excludes the sampling period and flags a blocked loop', async (t) => {
  const idle = new EventLoopWatch(1000, 300);
  t.teardown(() => idle.close());
  await new Promise((resolve) => setTimeout(resolve, 650));
  t.ok(idle.window().meanMs < 10, `idle loop: mean delay ${idle.window().meanMs} ms`);
  t.equal(idle.report().healthy, true);

  const strict = new EventLoopWatch(5, 1000);
  t.teardown(() => strict.close());
  await new Promise((resolve) => setTimeout(resolve, 50));
  const until = Date.now() + 200;
  while (Date.now() < until); // block the loop
  await new Promise((resolve) => setTimeout(resolve, 900)); // the first 1 s window has closed, the second not
  t.ok(strict.window().maxMs >= 100, `blocked loop: max delay ${strict.window().maxMs} ms`);
  t.equal(strict.report().healthy, false);
});
