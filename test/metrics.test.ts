import t from 'tap';
import { counter, gauge, MetricStore, wantsOpenMetrics } from '../src/metrics/family.ts';

t.test('declarations enforce Prometheus naming', async (t) => {
  t.throws(() => gauge('disk_used', 'x'), /must match/);
  t.throws(() => counter('vigil_errors', 'x'), /must end in _total/);
  t.throws(() => gauge('vigil_errors_total', 'x'), /must not end in _total/);
});

t.test('publish replaces what an owner wrote, leaving other owners alone', async (t) => {
  const store = new MetricStore();
  const size = gauge('vigil_test_size_bytes', 'Size.', ['target', 'mountpoint']);
  store.register(size);
  store.publish(
    'a',
    [size],
    [
      { metric: size, labels: { target: 'a', mountpoint: '/' }, value: 1 },
      { metric: size, labels: { target: 'a', mountpoint: '/var' }, value: 2 },
    ],
  );
  store.publish('b', [size], [{ metric: size, labels: { target: 'b', mountpoint: '/' }, value: 3 }]);
  store.publish('a', [size], [{ metric: size, labels: { mountpoint: '/', target: 'a' }, value: 4 }]);
  t.equal(store.value(size, { target: 'a', mountpoint: '/' }), 4);
  t.equal(store.value(size, { target: 'a', mountpoint: '/var' }), undefined, 'vanished series removed');
  t.equal(store.value(size, { target: 'b', mountpoint: '/' }), 3, 'other owner untouched');
  store.forget('b');
  t.equal(store.value(size, { target: 'b', mountpoint: '/' }), undefined);
  t.throws(() => store.publish('a', [], [{ metric: size, labels: { target: 'a', mountpoint: '/' }, value: 1 }]), /undeclared/);
  t.throws(() => store.set(size, { target: 'a' }, 1), /missing label mountpoint/);
  t.throws(() => store.register(gauge('vigil_test_size_bytes', 'Again.')), /declared twice/);
});

t.test('counters render with _total in text and as a family without it in OpenMetrics', async (t) => {
  const store = new MetricStore();
  const runs = counter('vigil_test_runs_total', 'Runs.', ['probe']);
  store.register(runs);
  store.set(runs, { probe: 'disk' }, 7);
  const text = await store.render(undefined);
  t.match(text.body, /^# TYPE vigil_test_runs_total counter\nvigil_test_runs_total\{probe="disk"\} 7$/m);
  const om = await store.render('application/openmetrics-text;version=1.0.0');
  t.match(om.body, /^# TYPE vigil_test_runs counter\nvigil_test_runs_total\{probe="disk"\} 7$/m);
  t.match(om.body, /# EOF\n$/);
  t.match((await store.render(undefined)).body, /^# TYPE vigil_test_runs_total counter$/m, 'text unaffected afterwards');
});

t.test('content negotiation', async (t) => {
  t.equal(wantsOpenMetrics(undefined), false);
  t.equal(wantsOpenMetrics('text/plain'), false);
  t.equal(wantsOpenMetrics('*/*'), false);
  t.equal(wantsOpenMetrics('application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'), true);
  t.equal(wantsOpenMetrics('application/openmetrics-text;q=0.2,text/plain;q=0.9'), false);
});

t.test('scrape bursts: ten fresh renderings a second, then the last one shared, per format', async (t) => {
  const store = new MetricStore();
  const runs = counter('vigil_test_runs_total', 'Runs.', ['probe']);
  store.register(runs);
  store.set(runs, { probe: 'disk' }, 1);
  const bodies: Buffer[] = [];
  for (let i = 0; i < 10; i++) bodies.push((await store.renderForScrape(undefined, 5000 + i)).body);
  t.equal(new Set(bodies).size, 10, 'the first ten scrapes of the second are rendered afresh');
  store.set(runs, { probe: 'disk' }, 2);
  const shared = await store.renderForScrape(undefined, 5500);
  t.equal(shared.body, bodies[9], 'the eleventh shares the last rendering (at most a second old)');
  const om = await store.renderForScrape('application/openmetrics-text;version=1.0.0', 5600);
  t.match(om.body.toString(), /# EOF\n$/, 'OpenMetrics is never served the text rendering');
  const later = await store.renderForScrape(undefined, 6600);
  t.match(later.body.toString(), /^vigil_test_runs_total\{probe="disk"\} 2$/m, 'a new second renders afresh');
});
