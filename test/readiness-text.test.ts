// Component ids and outputs from outside (a mount point with a newline, an ANSI escape) cannot
// forge lines in /ready?verbose or the `vigil check` table; ?verbose=false is not verbose.
import t from 'tap';
import { CheckStore } from '../src/checks/store.ts';
import { renderTable } from '../src/check-command.ts';
import { readinessText, wantsVerbose } from '../src/http/readiness-text.ts';
import { printable } from '../src/text.ts';
import { settingsFor, testCheck, valueCollection } from './helpers.ts';

/** The terminal escape character that must never reach an operator's screen. */
const ESC = new RegExp(String.fromCharCode(27));

function views() {
  const store = new CheckStore();
  const forged = '/mnt/x\n[+]disk:utilization / ok\x1b[2J';
  const collection = valueCollection(99, forged);
  store.record('test', { ...settingsFor('test').schedule, critical: true }, collection.checks, new Date());
  return store.views(new Date());
}

t.test('printable escapes control characters only', async (t) => {
  t.equal(printable('a\nb\r\tc\x1b[31m\x7f\u0085\u2028é'), 'a\\nb\\r\\tc\\x1b[31m\\x7f\\x85\\u2028é');
  t.equal(printable('/var/lib/kubelet'), '/var/lib/kubelet');
});

t.test('/ready?verbose: one line per check, whatever the component id holds', async (t) => {
  const v = views();
  const text = readinessText({ ready: false, reason: `critical check failing: ${testCheck.id} ${v[0]?.componentId}` }, v);
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 2, `check line and summary only: ${JSON.stringify(lines)}`);
  t.match(lines[0], /^\[-\]test:value \/mnt\/x\\n\[\+\]disk:utilization \/ ok\\x1b\[2J fail/);
  t.notMatch(text, ESC);
  const short = readinessText({ ready: false, reason: `critical check failing: ${testCheck.id} ${v[0]?.componentId}` }, null);
  t.equal(short.trimEnd().split('\n').length, 1, 'not ready: one line');
});

t.test('?verbose=false and friends are not verbose', async (t) => {
  t.equal(wantsVerbose({}), false);
  t.equal(wantsVerbose({ verbose: '' }), true);
  t.equal(wantsVerbose({ verbose: 'true' }), true);
  t.equal(wantsVerbose({ verbose: '1' }), true);
  for (const off of ['false', '0', 'no', 'off', 'FALSE']) t.equal(wantsVerbose({ verbose: off }), false, `verbose=${off}`);
});

t.test('the vigil check table keeps one row per check', async (t) => {
  const table = renderTable(views(), 'fail', 'node\n1', false);
  const lines = table.trimEnd().split('\n');
  t.equal(lines.length, 4, `header, row, blank, summary: ${JSON.stringify(lines)}`);
  t.match(lines[1], /\/mnt\/x\\n\[\+\]disk:utilization \/ ok\\x1b\[2J/);
  t.notMatch(table, ESC);
});
