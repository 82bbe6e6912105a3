// The agent validates its config in a child process (src/config-process.ts): the answer must be
// the very config the loader gives in-process, errors included, and the agent itself must never
// load the validator.
import t from 'tap';
import { deepStrictEqual } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_CHILD_ARG, loadConfigInChild } from '../src/config-process.ts';
import { loadConfig } from '../src/config/load.ts';
import { VigilError } from '../src/errors.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-config-process-'));

function everyFrozen(value: unknown, path = 'config'): string[] {
  if (value === null || typeof value !== 'object' || value instanceof RegExp) return [];
  const own = Object.isFrozen(value) ? [] : [path];
  return [...own, ...Object.entries(value).flatMap(([key, child]) => everyFrozen(child, `${path}.${key}`))];
}

t.test('the child resolves exactly what the loader resolves in-process', async (t) => {
  const cases: [string, string | undefined, NodeJS.ProcessEnv][] = [
    ['zero config', undefined, {}],
    ['the example config (every kind)', join(ROOT, 'config/vigil.example.yaml'), {}],
    ['environment shortcuts', undefined, { VIGIL_POSTGRES_URL: 'postgres://vigil@db:5432/app', VIGIL_REDIS_URL: 'redis://cache:6379', VIGIL_PORT: '9999' }],
  ];
  for (const [name, path, env] of cases) {
    const inProcess = await loadConfig({ path, env, kinds: PROBE_SECTIONS });
    const fromChild = await loadConfigInChild(path, env);
    // deepStrictEqual compares prototypes too: a class instance would arrive as a plain object.
    t.doesNotThrow(() => deepStrictEqual(fromChild, inProcess), `${name}: same config, same types`);
    t.ok(fromChild.probes.length > 0, `${name}: has probes`);
    t.same(everyFrozen(fromChild), [], `${name}: frozen all the way down`);
  }
  const regexes = (await loadConfigInChild(undefined, {})).probes.find((p) => p.kind === 'disk')?.options as { mountPointsExclude: RegExp };
  t.ok(regexes.mountPointsExclude instanceof RegExp && regexes.mountPointsExclude.test('/proc'), 'a RegExp arrives as one and matches');
});

t.test('errors arrive as the same VigilError, every problem with its path', async (t) => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'http:\n  port: 99999\nprobes:\n  disk:\n    interval: soon\n');
  const inProcess = await loadConfig({ path: bad, env: {}, kinds: PROBE_SECTIONS }).catch((err: unknown) => err);
  const fromChild = await loadConfigInChild(bad, {}).catch((err: unknown) => err);
  t.ok(fromChild instanceof VigilError, 'a VigilError');
  t.equal((fromChild as VigilError).code, 'CONFIG_INVALID');
  t.equal((fromChild as VigilError).exitCode, 2);
  t.same((fromChild as VigilError).problems, (inProcess as VigilError).problems, 'the same problems');
  t.match((fromChild as VigilError).problems.join('\n'), /http\.port/);

  const missing = await loadConfigInChild(join(dir, 'absent.yaml'), {}).catch((err: unknown) => err);
  t.match(missing, { code: 'CONFIG_UNREADABLE', message: /no such file/ });
  const fromEnv = await loadConfigInChild(undefined, { VIGIL_INTERVAL: 'often' }).catch((err: unknown) => err);
  t.match(fromEnv, { code: 'CONFIG_INVALID' }, 'environment overrides are validated there too');
});

t.test('a zero-config agent loads neither the validator nor the probes of kinds it does not use', async (t) => {
  // Records every module each process loads (the agent and its config child: the hook comes
  // with the runtime flags); the agent exits 0 on SIGTERM and the lists are written at exit.
  // Zero config on a free port, loopback only.
  const hook = join(dir, 'record-modules.mjs');
  const out = join(dir, 'modules.json');
  const childOut = join(dir, 'modules-child.json');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
const child = process.argv.includes(${JSON.stringify(CONFIG_CHILD_ARG)});
if (isMainThread) {
  const urls = [];
  registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
  process.on('exit', () => writeFileSync(child ? ${JSON.stringify(childOut)} : ${JSON.stringify(out)}, JSON.stringify(urls)));
  if (!child) setTimeout(() => process.kill(process.pid, 'SIGTERM'), 3000).unref();
}
`,
  );
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, `http:\n  host: 127.0.0.1\n  port: ${port}\n  drain_delay: 100ms\nlog:\n  level: warn\n`);
  execFileSync(process.execPath, ['--import', hook, join(ROOT, 'src/main.ts')], {
    env: { PATH: process.env.PATH ?? '', VIGIL_CONFIG: config },
    timeout: 60_000,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const urls = JSON.parse(readFileSync(out, 'utf8')) as string[];
  t.ok(
    urls.some((u) => u.endsWith('/src/agent.ts')),
    'the list is real (the agent ran)',
  );
  t.ok(
    urls.some((u) => u.endsWith('/src/probes/disk/probe.ts')),
    'the probes ran',
  );
  const validator = urls.filter((u) =>
    /node_modules\/(zod|yaml)\/|\/src\/config\/(load|schema|common|thresholds|tls|secrets)\.ts$|\/src\/probes\/[a-z]+\/config\.ts$/.test(u),
  );
  t.same(validator, [], 'no validator module in the agent');
  const childUrls = JSON.parse(readFileSync(childOut, 'utf8')) as string[];
  t.ok(
    childUrls.some((u) => /node_modules\/zod\//.test(u)) && childUrls.some((u) => u.endsWith('/src/config/load.ts')),
    'the config child loaded them instead',
  );
  const unused = urls.filter((u) => /\/src\/probes\/(postgres|redis|kafka|backups|http|tcp|certificates)\/(?!index\.ts$|metadata\.ts$)[^/]+\.ts$/.test(u));
  t.same(unused, [], 'no probe code of a kind the config does not use (their index.ts and metadata.ts aside)');
});
