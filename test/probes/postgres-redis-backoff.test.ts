// The persistent connection behind the datastore probes: one attempt at a time, exponential
// backoff capped at the interval, failing fast in between, and no connection left behind.
import t from 'tap';
import { NotConnectedError, PersistentConnection, resolvePassword } from '../../src/probes/connection.ts';

function fakeConnector(outcomes: (Error | 'ok' | 'hang')[]) {
  const opened: number[] = [];
  const closed: number[] = [];
  let n = 0;
  let release: (() => void) | undefined;
  return {
    opened,
    closed,
    release: () => release?.(),
    connector: {
      open: async () => {
        const id = ++n;
        const outcome = outcomes[Math.min(id - 1, outcomes.length - 1)];
        if (outcome === 'hang') await new Promise<void>((resolve) => (release = resolve));
        else if (outcome instanceof Error) throw outcome;
        opened.push(id);
        return id;
      },
      close: async (id: number) => void closed.push(id),
      isServerError: (err: unknown) => err instanceof Error && err.name === 'ReplyError',
    },
  };
}

const live = () => new AbortController().signal;

t.test('backs off after failures, capped at the interval, and fails fast meanwhile', async (t) => {
  let now = 0;
  const fake = fakeConnector([new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), 'ok']);
  const conn = new PersistentConnection(fake.connector, { initialMs: 1000, maxMs: 3000 }, () => now);
  await t.rejects(conn.get(live()), /ECONNREFUSED/);
  await t.rejects(conn.get(live()), NotConnectedError, 'within the backoff: no attempt');
  await t.rejects(conn.get(live()), /not connected: ECONNREFUSED \(next attempt in 900ms\)/);
  now = 900;
  await t.rejects(conn.get(live()), /ECONNREFUSED/, 'second attempt after 0.9 × 1 s');
  now = 900 + 1700;
  await t.rejects(conn.get(live()), NotConnectedError, 'second delay is 2 s');
  now = 900 + 1800;
  await t.rejects(conn.get(live()), /ECONNREFUSED/);
  now = 900 + 1800 + 2700;
  t.equal(await conn.get(live()), 4, 'the delay stops growing at the cap (3 s)');
  t.equal(await conn.get(live()), 4, 'reused');
  t.ok(conn.connected);

  conn.lose(4, 'socket closed');
  t.same(fake.closed, [4], 'a lost connection is closed');
  t.notOk(conn.connected);
});

t.test('a lost connection is replaced at once; close() closes even an attempt still running', async (t) => {
  const fake = fakeConnector(['ok', 'hang']);
  const conn = new PersistentConnection(fake.connector, { initialMs: 1000, maxMs: 1000 });
  t.equal(await conn.get(live()), 1);
  conn.lose(1, 'reset');
  conn.lose(1, 'reset again');
  t.same(fake.closed, [1], 'closed once');
  const aborted = new AbortController();
  const pending = conn.get(aborted.signal);
  aborted.abort(new Error('run timed out'));
  await t.rejects(pending, /run timed out/);
  const second = conn.get(live());
  const closing = conn.close();
  fake.release();
  await closing;
  await second.catch(() => undefined);
  t.same(fake.opened, [1, 2], 'one attempt, shared by both runs');
  t.same(fake.closed, [1, 2], 'and its connection closed');
  await t.rejects(conn.get(live()), /connection closed/);
});

t.test('use(): an error reply keeps the connection, anything else drops it', async (t) => {
  const fake = fakeConnector(['ok']);
  const conn = new PersistentConnection(fake.connector, { initialMs: 1000, maxMs: 1000 });
  const reply = Object.assign(new Error('ERR unknown command'), { name: 'ReplyError' });
  await t.rejects(
    conn.use(live(), async () => Promise.reject(reply)),
    /unknown command/,
  );
  t.ok(conn.connected, 'kept after an error reply');
  await t.rejects(
    conn.use(live(), async () => Promise.reject(new Error('Command timed out'))),
    /timed out/,
  );
  t.notOk(conn.connected, 'dropped after a timeout');
  t.same(fake.closed, [1]);
  t.equal(await conn.use(live(), async (c) => c), 2, 'the next use reconnects');
});

t.test('passwords: the file wins and is re-read, then the field, then the URL', async (t) => {
  const dir = t.testdir({ pw: 'from-file\n' });
  t.equal(await resolvePassword({ passwordFile: `${dir}/pw`, password: 'field', urlPassword: 'url' }), 'from-file');
  t.equal(await resolvePassword({ password: 'field', urlPassword: 'url' }), 'field');
  t.equal(await resolvePassword({ urlPassword: 'url' }), 'url');
  await t.rejects(resolvePassword({ passwordFile: `${dir}/missing` }), /cannot read password_file .*missing: no such file/);
});
