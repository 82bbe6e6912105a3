// What we ship for deployment is checked like code: alert rules with promtool (syntax and
// rule unit tests), Kubernetes manifests parsed, their embedded Vigil config validated.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { resolveConfigText } from '../src/config/load.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

t.test('alert rules pass promtool check and their unit tests', async (t) => {
  for (const args of [
    ['check', 'rules', 'deploy/prometheus/alerts.yaml'],
    ['test', 'rules', 'deploy/prometheus/alerts.test.yaml'],
  ]) {
    const res = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
    t.equal(res.error, undefined, 'promtool is installed (scripts/test-deps.sh)');
    t.equal(res.status, 0, `promtool ${args.join(' ')}\n${res.stdout}${res.stderr}`);
  }
});

t.test('Kubernetes manifests parse and carry a valid Vigil config', async (t) => {
  for (const file of ['deploy/kubernetes/daemonset.yaml', 'deploy/kubernetes/sidecar-example.yaml', 'deploy/kubernetes/cluster.yaml']) {
    const docs = parseAllDocuments(readFileSync(`${ROOT}/${file}`, 'utf8'), { uniqueKeys: true });
    const objects = [docs].flat().map((d) => {
      t.same(d.errors, [], `${file} parses`);
      return d.toJS() as { kind: string; data?: Record<string, string>; spec?: unknown };
    });
    const configs = objects.filter((o) => o.kind === 'ConfigMap' && o.data?.['vigil.yaml']);
    t.ok(configs.length > 0, `${file} ships a config`);
    for (const c of configs) t.doesNotThrow(() => resolveConfigText(c.data!['vigil.yaml']!, file, {}, PROBE_SECTIONS), `${file} config is valid`);
    const text = JSON.stringify(objects);
    for (const path of ['/health', '/ready']) t.match(text, `"path":"${path}"`, `${file} probes ${path}`);
  }
  const daemonset = readFileSync(`${ROOT}/deploy/kubernetes/daemonset.yaml`, 'utf8');
  t.match(daemonset, /VIGIL_HOST_ROOT/);
  t.match(daemonset, /fieldPath: spec\.nodeName/);
});

t.test('the image runs the entry point that exists', async (t) => {
  const dockerfile = readFileSync(`${ROOT}/Dockerfile`, 'utf8');
  t.match(dockerfile, /ENTRYPOINT \["\/app\/bin\/vigil"\]/);
  t.match(dockerfile, /COPY bin \.\/bin/);
  t.match(readFileSync(`${ROOT}/bin/vigil`, 'utf8'), /exec "\$node" .*"\$root\/src\/main\.ts" "\$@"/, 'bin/vigil runs src/main.ts');
  t.match(readFileSync(`${ROOT}/bin/vigil`, 'utf8'), /--disable-sigusr1/, 'SIGUSR1 opens no inspector');
  t.match(dockerfile, /EXPOSE 9477/);
  t.match(dockerfile, /USER 65532/);
});

// .dockerignore is an allow-list: a COPY of a path it leaves out fails only at build time.
t.test('every path the Dockerfile copies from the context is in the .dockerignore allow-list', async (t) => {
  const dockerfile = readFileSync(`${ROOT}/Dockerfile`, 'utf8');
  const allowed = readFileSync(`${ROOT}/.dockerignore`, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/\/$/, ''));
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/));
  t.ok(sources.length >= 4, `COPY sources found: ${sources.join(', ')}`);
  for (const source of sources) t.ok(allowed.includes(source.replace(/\/$/, '')), `${source} is allowed by .dockerignore`);
});
