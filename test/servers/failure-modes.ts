// The failure-mode tests every datastore probe must pass, each against a server of our own,
// through the agent: server stopped; wrong password (then the secret file rotated); a port that
// accepts TCP and never answers (then a real server there); server restarted. Each time the
// check fails within timeout + interval, /health stays 200 and fast, /ready follows the
// target's critical flag, and the check recovers within one interval without restarting Vigil.
import tap from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/lib.ts';
import { waitFor } from '../helpers.ts';
import { startAgent } from './agent.ts';
import { blackhole, cuttableProxy } from './net.ts';
import { outage } from './outage.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Datastore<S> {
  /** Probe kind, the key under `probes:`. */
  readonly kind: string;
  /** The reachability check id. */
  readonly check: string;
  own(t: Teardown, port?: number): Promise<S>;
  /** A server of our own where the user `vigil` must log in with `password`. */
  ownWithUser(t: Teardown, password: string): Promise<S>;
  url(server: S, user?: string): string;
  portOf(server: S): number;
  /** A URL for a server at 127.0.0.1:port. */
  urlAt(port: number): string;
  /** Ids of the server-side sessions (pids, client ids) named after `target`. */
  sessions(server: S, target: string): Promise<string[]>;
  stop(server: S): Promise<void>;
  start(server: S): Promise<void>;
  restart(server: S): Promise<void>;
  /** What the failing check's output says in each case. */
  readonly says: { readonly stopped: RegExp; readonly wrongPassword: RegExp; readonly redactedUrl: RegExp; readonly hung: RegExp; readonly silent: RegExp };
}

const INTERVAL_MS = 2000;
const TIMEOUT_MS = 1500;
const schedule = { interval: `${INTERVAL_MS}ms`, timeout: `${TIMEOUT_MS}ms`, failure_threshold: 1, success_threshold: 1 };

/** Declares the four tests in the calling test file. */
export function failureModeTests<S>(ds: Datastore<S>): void {
  const agentWith = (t: Teardown, target: Record<string, unknown>) => startAgent(t, { [ds.kind]: { ...schedule, targets: [target] } });
  const spec = (target: string, critical: boolean) => ({ check: ds.check, target, critical, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS });

  tap.test('server stopped, then started again (critical target)', async (t) => {
    const server = await ds.own(t);
    const agent = await agentWith(t, { name: 'stopped', url: ds.url(server), critical: true });
    await agent.until(ds.check, 'stopped', 'pass', 20_000);
    const report = await outage(t, agent, { ...spec('stopped', true), breakIt: () => ds.stop(server), restore: () => ds.start(server) });
    t.match(report.failOutput, ds.says.stopped);
    t.equal((await ds.sessions(server, 'stopped')).length, 1, 'one Vigil session after recovery');
    t.comment(`stopped: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after start`);
  });

  tap.test('wrong password, then the secret file is rotated (non-critical target)', async (t) => {
    const server = await ds.ownWithUser(t, 'right-Secret-1');
    const file = join(t.testdir({ password: 'wrong-Secret-2\n' }), 'password');
    const agent = await agentWith(t, { name: 'auth', url: ds.url(server, 'vigil'), password_file: file, critical: false });
    const report = await outage(t, agent, { ...spec('auth', false), restore: async () => writeFileSync(file, 'right-Secret-1\n') });
    t.match(report.failOutput, ds.says.wrongPassword);
    t.match(report.failOutput, ds.says.redactedUrl, 'the output names the target by its redacted URL');
    const everything = await agent.outputs();
    t.notOk(everything.includes('right-Secret-1') || everything.includes('wrong-Secret-2'), 'neither password appears in any output');
    t.equal((await ds.sessions(server, 'auth')).length, 1);
    t.comment(`wrong password: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after the file was rotated`);
  });

  tap.test('a port that accepts TCP and never answers, then a real server there (critical target)', async (t) => {
    const port = await freePort();
    const hole = await blackhole(port);
    t.teardown(() => hole.close());
    let server: S | undefined;
    const agent = await agentWith(t, { name: 'hung', url: ds.urlAt(port), critical: true });
    const report = await outage(t, agent, {
      ...spec('hung', true),
      restore: async () => {
        await hole.close();
        server = await ds.own(t, port);
      },
    });
    t.ok(hole.accepted() >= 1, `the hung port accepted ${hole.accepted()} connection(s)`);
    t.match(report.failOutput, ds.says.hung);
    t.equal((await ds.sessions(server as S, 'hung')).length, 1);
    t.comment(`hung port: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after the real server started`);
  });

  tap.test('the server falls silent mid-session (network partition), then answers again', async (t) => {
    const server = await ds.own(t);
    const proxy = await cuttableProxy(ds.portOf(server));
    t.teardown(() => proxy.close());
    const agent = await agentWith(t, { name: 'silent', url: ds.urlAt(proxy.port), critical: true });
    await agent.until(ds.check, 'silent', 'pass', 20_000);
    const report = await outage(t, agent, { ...spec('silent', true), breakIt: async () => proxy.freeze(), restore: async () => proxy.restore() });
    // The probe's own deadline answers, not the runner's "timed out after 1.5s".
    t.match(report.failOutput, ds.says.silent);
    // The frozen session was closed by Vigil (its socket destroyed); only the new one is left.
    await waitFor(async () => (await ds.sessions(server, 'silent')).length === 1, 10_000, 100);
    t.equal((await ds.sessions(server, 'silent')).length, 1, 'one Vigil session: the frozen one was closed');
    t.comment(`silent server: failed after ${report.failMs} ms, recovered ${report.recoverMs} ms after it answered again`);
  });

  tap.test('server restarted: a new session within one interval, never two', async (t) => {
    const server = await ds.own(t);
    const agent = await agentWith(t, { name: 'restarted', url: ds.url(server), critical: false });
    await agent.until(ds.check, 'restarted', 'pass', 20_000);
    const before = await ds.sessions(server, 'restarted');
    t.equal(before.length, 1);
    await ds.restart(server);
    const backAt = Date.now();
    // The old session died with the server; the next run reconnects and passes.
    let entry: Awaited<ReturnType<typeof agent.check>>;
    await waitFor(
      async () => {
        entry = await agent.check(ds.check, 'restarted');
        return entry?.status === 'pass' && new Date(entry.time).getTime() > backAt;
      },
      15_000,
      20,
    );
    const recoverMs = new Date(entry!.time).getTime() - backAt;
    t.ok(recoverMs <= INTERVAL_MS * 1.1 + 1500, `passing again ${recoverMs} ms after the restart finished`);
    const after = await ds.sessions(server, 'restarted');
    t.equal(after.length, 1, 'one Vigil session');
    t.not(after[0], before[0], 'a new session (the old one died with the server)');
    t.equal((await agent.get('/health')).status, 200);
    t.comment(`restart: passing ${recoverMs} ms after the server was back`);
  });
}
