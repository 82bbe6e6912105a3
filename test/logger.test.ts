import t from 'tap';
import { componentLogger } from '../src/log/logger.ts';
import { captureLogs, logLineErrors } from './helpers.ts';

t.test('lines carry exactly the convention fields', async (t) => {
  const { logger, lines, raw } = captureLogs('debug');
  logger.info('hello');
  const http = componentLogger(logger, 'http');
  http.warn({ event: 'http.access', request_id: 'r1', path: '/x', status: 404, duration_ms: 1.5 }, 'GET /x 404');
  componentLogger(http, 'runner').debug('nested component');
  logger.trace('trace maps to DEBUG');
  t.same(Object.keys(lines[0]!).sort(), ['component', 'host', 'level', 'message', 'service', 'timestamp']);
  t.match(lines[0], { level: 'INFO', service: 'vigil', component: 'agent', host: 'test-host', message: 'hello' });
  t.match(lines[0]!.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.match(lines[1], { level: 'WARN', component: 'http', status: 404, path: '/x', request_id: 'r1' });
  t.equal(lines[2]!.component, 'runner');
  t.equal(raw[2]!.match(/"component"/g)?.length, 1, 'component written once, not once per child level');
  for (const line of lines) t.same(logLineErrors(line), []);
});

t.test('errors are summarised, secrets redacted', async (t) => {
  const { logger, lines } = captureLogs();
  const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  logger.error({ event: 'probe.failed', error: err }, 'probe failed');
  t.same(lines[0]!.error, { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' });
  logger.warn(
    { event: 'probe.partial_errors', details: { url: 'postgres://vigil:s3cret@db/app', password: 's3cret', target: { password: 'x' } } },
    'redaction',
  );
  const details = lines[1]!.details as Record<string, unknown>;
  t.equal(details.url, '[REDACTED]');
  t.equal(details.password, '[REDACTED]');
  t.same(details.target, { password: '[REDACTED]' });
  t.notMatch(JSON.stringify(lines), /s3cret/);
  for (const line of lines) t.same(logLineErrors(line), []);
});

t.test('a line with an undocumented top-level key fails the schema', async (t) => {
  t.not(logLineErrors({ timestamp: '2026-01-01T00:00:00.000Z', level: 'INFO', service: 's', component: 'c', message: 'm', host: 'h', pid: 1 }).length, 0);
  t.not(logLineErrors({ timestamp: '2026-01-01T00:00:00Z', level: 'info', service: 's', component: 'c', message: 'm', host: 'h' }).length, 0);
});
