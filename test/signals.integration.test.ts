// Signals as users send them to `bin/vigil`: SIGHUP and SIGQUIT drain and exit 0, SIGUSR2 is
// logged and ignored, SIGUSR1 opens no inspector. Process warnings are JSON log lines.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duplicateJsonKeys, logLineErrors, waitFor } from './helpers.ts';
import { freePort } from '../bench/lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function start(t: { teardown(fn: () => unknown): void }, env: NodeJS.ProcessEnv = {}, nodeOptions = '') {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-signals-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'vigil.yaml'), 'http:\n  drain_delay: 100ms\n');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VIGIL|OTEL|NODE_OPTIONS)/.test(k)));
  const child = spawn('bin/vigil', ['--config', `${dir}/vigil.yaml`], {
    cwd: ROOT,
    env: { ...inherited, VIGIL_PORT: String(port), ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200, 20_000, 50);
  return { child, exit, port, out: () => stdout, err: () => stderr };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const signal of ['SIGHUP', 'SIGQUIT'] as const) {
  t.test(`${signal} drains and exits 0 with a log line`, async (t) => {
    const agent = await start(t);
    agent.child.kill(signal);
    t.same(await agent.exit, { code: 0, signal: null }, `${signal}: exit 0`);
    const lines = jsonLines(agent.out());
    t.ok(
      lines.some((l) => l.event === 'agent.stopping' && (l.details as Record<string, unknown>)?.reason === signal),
      `logged the ${signal}`,
    );
    t.ok(lines.some((l) => l.event === 'agent.stopped'));
    for (const l of lines) t.same(logLineErrors(l), [], `valid line: ${String(l.message)}`);
    for (const raw of agent.out().split('\n').filter(Boolean)) t.same(duplicateJsonKeys(raw), [], 'each key once');
  });
}

t.test('SIGUSR2 is logged and ignored; SIGUSR1 opens no inspector', async (t) => {
  const agent = await start(t);
  agent.child.kill('SIGUSR2');
  agent.child.kill('SIGUSR1');
  await waitFor(() => agent.out().includes('agent.signal_ignored'), 5000, 20);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(agent.child.exitCode, null, 'still running');
  t.equal((await fetch(`http://127.0.0.1:${agent.port}/health`)).status, 200);
  t.notMatch(agent.err(), /Debugger listening/, 'no inspector');
  agent.child.kill('SIGTERM');
  t.same(await agent.exit, { code: 0, signal: null });
});

t.test('process warnings are JSON log lines, not stderr text', async (t) => {
  // A deprecation raised once the agent runs, as DEP0123 (TLS servername an IP address) would be.
  const dir = t.testdir({
    'warn.mjs':
      "setTimeout(() => process.emitWarning('Setting the TLS ServerName to an IP address is not permitted', 'DeprecationWarning', 'DEP0123'), 3000).unref();\n",
  });
  const agent = await start(t, {}, `--import=${dir}/warn.mjs`);
  await waitFor(() => agent.out().includes('process.warning'), 10_000, 50);
  const line = jsonLines(agent.out()).find((l) => l.event === 'process.warning');
  t.match(line, { level: 'WARN', message: /DeprecationWarning DEP0123: Setting the TLS ServerName/ });
  t.same(logLineErrors(line), []);
  t.notMatch(agent.err(), /DEP0123/, 'nothing on stderr');
  agent.child.kill('SIGTERM');
  await agent.exit;
});
