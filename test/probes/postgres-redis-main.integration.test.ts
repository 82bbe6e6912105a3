// The agent as a sidecar starts it: `node src/main.ts` with only VIGIL_POSTGRES_URL and
// VIGIL_REDIS_URL set (passwords inside), over real HTTP. The datastore series pass promtool's
// lint, are documented, and the passwords appear nowhere in what the process prints or serves.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../bench/lib.ts';
import { anyPostgres } from '../servers/postgres.ts';
import { anyRedis } from '../servers/redis.ts';
import { samplesOf } from '../servers/agent.ts';
import { waitFor } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

t.test('env-configured targets through node src/main.ts', async (t) => {
  const pgServer = await anyPostgres(t);
  const redisServer = await anyRedis(t);
  const secret = `Sidecar-${Math.random().toString(36).slice(2)}`;
  const port = await freePort();
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      VIGIL_PORT: String(port),
      VIGIL_INTERVAL: '1s',
      VIGIL_LOG_LEVEL: 'debug',
      VIGIL_POSTGRES_URL: `${pgServer.url('postgres', 'postgres', secret)}?sslmode=disable`,
      VIGIL_REDIS_URL: `redis://:${secret}@127.0.0.1:1,${redisServer.url()}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  t.teardown(() => void child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  const pgName = `${pgServer.host}:${pgServer.port}`;
  const redisName = `${redisServer.host}:${redisServer.port}`;
  let metrics = '';
  await waitFor(
    async () => {
      metrics = (await (await fetch(`${base}/metrics`).catch(() => null))?.text()) ?? '';
      return (
        samplesOf(metrics, 'vigil_postgres_up').some((s) => s.labels.target === pgName && s.value === 1) &&
        samplesOf(metrics, 'vigil_redis_up').some((s) => s.labels.target === redisName && s.value === 1) &&
        samplesOf(metrics, 'vigil_redis_up').some((s) => s.labels.target === '127.0.0.1:1' && s.value === 0)
      );
    },
    30_000,
    200,
  );
  t.pass('targets named host:port, the dead one reported down');

  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  t.equal(`${promtool.stdout}${promtool.stderr}`, '', 'promtool check metrics prints nothing');
  t.equal(promtool.status, 0);
  const readme = (await import('node:fs')).readFileSync(`${ROOT}/README.md`, 'utf8');
  const families = [...metrics.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
  t.same(
    families.filter((name) => !readme.includes(`\`${name}\``)),
    [],
    'every exported metric is documented in README.md',
  );

  const detailed = await (await fetch(`${base}/health/detailed`)).text();
  t.match(detailed, /redis:\/\/:\*\*\*@127\.0\.0\.1:1: /, 'the dead target is named by its redacted URL');
  child.kill('SIGTERM');
  await once(child, 'exit');
  t.notOk(`${output}\n${metrics}\n${detailed}`.includes(secret), 'the password appears nowhere');
});
