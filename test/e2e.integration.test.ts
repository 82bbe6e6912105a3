// End to end: the agent as users start it (node src/main.ts), over real HTTP, against the real
// machine's /proc, /sys and filesystems, checked with Prometheus's own promtool.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { logLineErrors, spawnAgent, waitFor, type SpawnedAgent } from './helpers.ts';
import { freePort } from '../bench/lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = 'src/main.ts';

type Agent = SpawnedAgent;

function startAgent(port: number, args: string[] = [], env: NodeJS.ProcessEnv = {}): Agent {
  return spawnAgent(port, args, { VIGIL_LOG_LEVEL: 'debug', ...env });
}

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

t.test('the agent serves health, readiness and metrics, logs in schema, and drains on SIGTERM', async (t) => {
  const dir = t.testdir({ 'vigil.yaml': 'http:\n  drain_delay: 2s\ndefaults:\n  interval: 2s\n  timeout: 1s\n' });
  const port = await freePort();
  const started = Date.now();
  const agent = startAgent(port, ['--config', `${dir}/vigil.yaml`], { NODE_NAME: 'e2e-node' });
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });

  await waitFor(async () => (await fetch(`${agent.base}/ready`).catch(() => null))?.status === 200, 15_000, 50);
  t.ok(Date.now() - started < 15_000, `ready in ${Date.now() - started} ms`);
  t.equal((await fetch(`${agent.base}/health`)).status, 200);
  const startedLine = agent.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'agent.started');
  t.match(startedLine?.message, `listening on http://0.0.0.0:${port},`, 'the startup line says what is bound');

  const detailed = await fetch(`${agent.base}/health/detailed`, { headers: { 'x-request-id': 'abc' } });
  t.equal(detailed.headers.get('x-request-id'), 'abc');
  t.match(detailed.headers.get('content-type'), /^application\/health\+json/);
  const doc = (await detailed.json()) as { checks: Record<string, unknown[]>; node: { name: string }; status: string };
  for (const check of ['disk:utilization', 'memory:utilization', 'cpu:utilization']) t.ok(doc.checks[check]?.length, `${check} reported`);
  t.equal(doc.node.name, 'e2e-node');
  t.equal(detailed.status, doc.status === 'fail' ? 503 : 200);

  const metrics = await (await fetch(`${agent.base}/metrics`)).text();
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  t.equal(promtool.error, undefined, 'promtool is installed (scripts/test-deps.sh)');
  t.equal(`${promtool.stdout}${promtool.stderr}`, '', 'promtool check metrics prints nothing');
  t.equal(promtool.status, 0);

  const readme = (await import('node:fs')).readFileSync(`${ROOT}/README.md`, 'utf8');
  const families = [...metrics.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
  t.same(
    families.filter((name) => !readme.includes(`\`${name}\``)),
    [],
    'every exported metric is documented in README.md',
  );

  const avail = metrics.match(/^vigil_filesystem_avail_bytes\{[^}]*mountpoint="\/"[^}]*\} (\d+)$/m);
  t.ok(avail, 'avail bytes of / exported');
  const df = spawnSync('df', ['-B1', '--output=avail', '/'], { encoding: 'utf8' });
  const dfAvail = Number(df.stdout.trim().split('\n')[1]);
  const ratio = Number(avail?.[1]) / dfAvail;
  t.ok(Math.abs(ratio - 1) < 0.01, `avail within 1 % of df (${avail?.[1]} vs ${dfAvail})`);

  await waitFor(() => agent.lines.some((l) => l.includes('"request_id":"abc"')), 2000);
  const access = JSON.parse(agent.lines.find((l) => l.includes('"request_id":"abc"'))!);
  t.match(access, { request_id: 'abc', path: '/health/detailed', status: detailed.status, level: 'INFO' });
  t.type(access.duration_ms, 'number');

  agent.child.kill('SIGTERM');
  const signalled = Date.now();
  let readyStatus = 0;
  await waitFor(
    async () => {
      readyStatus = (await fetch(`${agent.base}/ready`).catch(() => null))?.status ?? 0;
      return readyStatus === 503;
    },
    1000,
    5,
  );
  t.ok(Date.now() - signalled < 100, `/ready answered 503 ${Date.now() - signalled} ms after SIGTERM`);
  t.equal(await agent.exit, 0, 'exits 0 after draining');
  t.ok(Date.now() - signalled >= 2000, 'waited the drain delay');

  t.ok(agent.lines.length > 3);
  const invalid = agent.lines.flatMap((raw) => {
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      return [`not JSON: ${raw}`];
    }
    return logLineErrors(line).map((e) => `${e} in ${raw}`);
  });
  t.same(invalid, [], 'every stdout line is valid JSON in the log schema');
  t.ok(
    agent.lines.some((l) => l.includes('"event":"agent.stopped"')),
    'logged the stop',
  );
});

t.test('a second signal exits at once', async (t) => {
  const port = await freePort();
  const agent = startAgent(port, [], { VIGIL_LOG_LEVEL: 'info' });
  t.teardown(() => agent.child.kill('SIGKILL'));
  await waitFor(async () => (await fetch(`${agent.base}/health`).catch(() => null))?.status === 200, 15_000, 50);
  agent.child.kill('SIGTERM');
  await waitFor(async () => (await fetch(`${agent.base}/ready`).catch(() => null))?.status === 503, 2000, 5);
  const t0 = Date.now();
  agent.child.kill('SIGTERM');
  t.equal(await agent.exit, 143);
  t.ok(Date.now() - t0 < 1000, 'did not wait for the 5 s drain');
});

t.test('an invalid config exits 2 naming every problem, without a stack trace', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'http:\n  port: "eighty"\ncolour: blue\n' });
  for (const args of [
    ['--config', `${dir}/bad.yaml`],
    ['config', 'check', `${dir}/bad.yaml`],
  ]) {
    const res = run(args);
    t.equal(res.status, 2, `${args.join(' ')} exits 2`);
    t.match(res.stderr, /http\.port: must be an integer 1-65535/);
    t.match(res.stderr, /colour: unknown key/);
    t.notMatch(res.stderr, /\n\s+at /, 'no stack trace');
    t.equal(res.stdout, '', 'nothing on stdout');
  }
  const good = t.testdir({ 'ok.yaml': 'http:\n  port: 9100\n' });
  const ok = run(['config', 'check', `${good}/ok.yaml`]);
  t.equal(ok.status, 0);
  t.match(ok.stdout, /valid \(3 probes: disk, memory, cpu\)/);
});

t.test('a port already in use exits 3 with a FATAL line and a plain message', async (t) => {
  const blocker = createServer().listen(0, '0.0.0.0');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const { port } = blocker.address() as { port: number };
  const res = run([], { VIGIL_PORT: String(port) });
  t.equal(res.status, 3);
  t.match(res.stderr, new RegExp(`vigil: cannot listen on 0\\.0\\.0\\.0:${port}: .*EADDRINUSE`));
  const fatal = res.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((l) => l.level === 'FATAL');
  t.match(fatal, { event: 'agent.start_failed', error: { type: 'VigilError', code: 'LISTEN_FAILED' } });
  t.same(logLineErrors(fatal), []);
});

t.test('vigil check prints a table and exits by status', async (t) => {
  const json = run(['check', '--json']);
  const doc = JSON.parse(json.stdout) as { status: string; checks: Record<string, unknown> };
  t.ok(doc.checks['cpu:utilization'] && doc.checks['disk:utilization'] && doc.checks['memory:utilization']);
  const expected = { pass: 0, warn: 1, fail: 2 }[doc.status];
  t.equal(json.status, expected, `--json exit code follows status ${doc.status}`);

  const table = run(['check', '--no-color']);
  t.match(table.stdout, /^STATUS\s+CHECK\s+COMPONENT\s+OBSERVED\s+THRESHOLDS\s+SEVERITY/);
  t.match(table.stdout, /^(PASS|WARN|FAIL)\s+disk:utilization\s+\/\s+[\d.]+ %\s+warn ≥ 70 %, warn ≥ 85 %, fail ≥ 95 %/m);
  t.match(table.stdout, /: (PASS|WARN|FAIL) \(\d+ pass, \d+ warn, \d+ fail\)\n$/);
  t.ok([0, 1, 2].includes(table.status ?? -1));

  // A threshold every machine crosses turns the check and the exit code to fail.
  const dir = t.testdir({ 'strict.yaml': 'probes:\n  memory:\n    thresholds: { warn: 0.001, fail: 0.002 }\n' });
  const strict = run(['check', '--config', `${dir}/strict.yaml`, '--no-color']);
  t.equal(strict.status, 2);
  t.match(strict.stdout, /^FAIL\s+memory:utilization\s+host\s+.*SEV2\s+High Memory Usage/m);
});

t.test('help, version and usage errors', async (t) => {
  const help = run(['--help']);
  t.equal(help.status, 0);
  for (const word of ['vigil check', 'vigil config check', 'VIGIL_PORT', 'Exit codes']) t.match(help.stdout, word);
  t.equal(run(['--version']).stdout.trim(), JSON.parse((await import('node:fs')).readFileSync(`${ROOT}/package.json`, 'utf8')).version);
  const bad = run(['frobnicate']);
  t.equal(bad.status, 64);
  t.match(bad.stderr, /unknown command: frobnicate/);
});
