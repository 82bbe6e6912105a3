// Every file under deploy/ is checked: Kubernetes objects against Kubernetes' own schemas (and
// the Prometheus Operator's), strictly (an unknown field fails), kustomizations built with
// kubectl, the PrometheusRule compared with the alert rules it is generated from. A file of a
// type this test does not know fails it, so new manifests cannot slip past unchecked.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { resolveConfigText } from '../src/config/load.ts';
import { ALERTS_FILE, PROMETHEUS_RULE_FILE, renderPrometheusRule } from '../scripts/prometheus-rule.ts';
import { validateStrictFields, validateWithModels, type KubernetesObject, type Located } from './deploy/kubernetes-schema.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

function parseYaml(text: string, where: string): unknown[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  return [docs].flat().map((d, i) => {
    if (d.errors.length > 0) throw new Error(`${where} document ${i + 1}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as unknown;
  });
}

const isObject = (v: unknown): v is KubernetesObject =>
  typeof v === 'object' && v !== null && typeof (v as KubernetesObject).apiVersion === 'string' && typeof (v as KubernetesObject).kind === 'string';

function kubectlKustomize(dir: string): unknown[] {
  const res = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw new Error(`kubectl not runnable: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${res.stderr}`);
  return parseYaml(res.stdout, `kubectl kustomize ${dir}`);
}

// Every Kubernetes object under deploy/, by file; other files by what they are.
const objects: Located[] = [];
const kustomizations: string[] = [];
const vigilConfigs: { where: string; text: string }[] = [];
const unknownFiles: string[] = [];
const deployFiles = filesUnder('deploy');
for (const file of deployFiles) {
  if (/\.json$/.test(file)) {
    JSON.parse(readFileSync(join(ROOT, file), 'utf8')); // JSON Schemas, dashboards: valid JSON at least
    continue;
  }
  if (!/\.ya?ml$/.test(file)) {
    // Fluent Bit's classic-format files are read and exercised by test/logging.integration.test.ts.
    const checkedElsewhere = /(^|\/)README\.md$/.test(file) || /^deploy\/logging\/fluent-bit\/[\w-]+\.conf$/.test(file);
    if (!checkedElsewhere) unknownFiles.push(file);
    continue;
  }
  parseYaml(readFileSync(join(ROOT, file), 'utf8'), file).forEach((doc, i) => {
    const where = `${file} document ${i + 1}`;
    if (doc === null) return;
    if (isObject(doc)) {
      if (doc.kind === 'Kustomization') kustomizations.push(file.replace(/\/[^/]+$/, ''));
      else objects.push({ where: `${where} (${doc.kind} ${doc.metadata?.name ?? '?'})`, object: doc });
      return;
    }
    const keys = typeof doc === 'object' ? Object.keys(doc as object) : [];
    if (keys.includes('groups')) return; // Prometheus rules: promtool checks them (deploy.test.ts)
    if (keys.includes('rule_files')) return; // promtool rule unit tests
    // Anything else must be a Vigil config file (e.g. one a kustomization's configMapGenerator reads).
    vigilConfigs.push({ where, text: readFileSync(join(ROOT, file), 'utf8') });
  });
}

t.test('deploy/ holds only files this test knows how to check', async (t) => {
  t.same(unknownFiles, [], 'no unchecked file types');
  t.ok(objects.length >= 10, `found ${objects.length} Kubernetes objects`);
  const kinds = new Set(objects.map((o) => o.object.kind));
  for (const kind of ['DaemonSet', 'Deployment', 'PodDisruptionBudget', 'Service', 'ConfigMap', 'PodMonitor', 'ServiceMonitor', 'PrometheusRule']) {
    t.ok(kinds.has(kind), `a ${kind} is shipped`);
  }
});

t.test('every Kubernetes object matches the Kubernetes / Prometheus Operator schema', async (t) => {
  t.same(await validateWithModels(objects), []);
});

t.test('every Kubernetes object has only fields its schema declares (strict)', async (t) => {
  t.same(validateStrictFields(objects), []);
});

t.test('the strict check catches misspelt fields at any depth', async (t) => {
  const daemonset = objects.find((o) => o.object.kind === 'DaemonSet')!;
  const text = JSON.stringify(daemonset.object);
  t.match(text, '"readinessProbe"');
  const typo = (from: string, to: string): Located => ({
    where: `typo ${to.replaceAll('"', '')}`,
    object: JSON.parse(text.replace(from, to)) as KubernetesObject,
  });
  const podMonitor = objects.find((o) => o.object.kind === 'PodMonitor')!;
  const monitorTypo: Located = {
    where: 'typo podMetricsEndpoint',
    object: JSON.parse(JSON.stringify(podMonitor.object).replace('"podMetricsEndpoints"', '"podMetricsEndpoint"')) as KubernetesObject,
  };
  const problems = validateStrictFields([typo('"readinessProbe"', '"readinesProbe"'), typo('"priorityClassName"', '"priorityClasName"'), monitorTypo]);
  t.equal(problems.length, 3, problems.join('\n'));
  t.match(problems[0], /^typo readinesProbe: .*'readinesProbe'/);
  t.match(problems[1], /^typo priorityClasName: .*'priorityClasName'/);
  t.match(problems[2], /^typo podMetricsEndpoint: .*'podMetricsEndpoint'/);
  // The models' own validation alone lets the typo through: the strict pass is what catches it.
  t.same(await validateWithModels([typo('"readinessProbe"', '"readinesProbe"')]), []);
  // ...and it catches wrong types and enums.
  const badEnum = await validateWithModels([typo('"RollingUpdate"', '"Rolling"')]);
  t.equal(badEnum.length, 1, 'an invalid enum value fails the models');
  // A kind without a schema is a failure, never a pass.
  const widget: Located = { where: 'widget', object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } };
  t.match(await validateWithModels([widget]), [/^widget: unknown kind Widget/]);
  t.match(validateStrictFields([widget]), [/schema import failed/]);
});

t.test('the Vigil configs shipped in ConfigMaps and files are valid', async (t) => {
  for (const { where, object } of objects) {
    if (object.kind !== 'ConfigMap') continue;
    for (const [key, text] of Object.entries((object as { data?: Record<string, string> }).data ?? {})) {
      if (/\.ya?ml$/.test(key)) vigilConfigs.push({ where: `${where} ${key}`, text });
    }
  }
  t.ok(vigilConfigs.length >= 3);
  for (const { where, text } of vigilConfigs) t.doesNotThrow(() => resolveConfigText(text, where, {}, PROBE_SECTIONS), where);
});

t.test('the node and cluster manifests', async (t) => {
  const of = (kind: string, name: string) => objects.find((o) => o.object.kind === kind && o.object.metadata?.name === name)?.object as any;
  const daemonset = of('DaemonSet', 'vigil');
  t.equal(daemonset.spec.template.spec.priorityClassName, 'system-node-critical');
  const cluster = of('Deployment', 'vigil-cluster');
  t.ok(cluster, 'cluster.yaml has the cluster Deployment');
  t.notOk(JSON.stringify(cluster).includes('hostPath'), 'no host mount');
  t.notOk(JSON.stringify(cluster).includes('VIGIL_HOST_ROOT'));
  const config = resolveConfigText(of('ConfigMap', 'vigil-cluster-config').data['vigil.yaml'], 'cluster.yaml', {}, PROBE_SECTIONS);
  const kinds = new Set(config.probes.map((p) => p.kind));
  t.same([...kinds].sort(), ['kafka', 'postgres', 'redis'], 'cluster agent: datastore probes only');
  t.ok(of('PodDisruptionBudget', 'vigil-cluster'));
  // Each agent is scraped by exactly one monitor, labelled with its mode.
  const monitors = objects.filter((o) => /^(Pod|Service)Monitor$/.test(o.object.kind)).map((o) => o.object as any);
  for (const m of monitors) {
    const endpoints = m.spec.podMetricsEndpoints ?? m.spec.endpoints;
    const mode = endpoints[0].relabelings.find((r: any) => r.targetLabel === 'mode')?.replacement;
    const component = m.spec.selector.matchLabels['app.kubernetes.io/component'];
    t.equal(mode, component === 'cluster-agent' ? 'cluster' : 'node', `${m.kind} ${m.metadata.name} sets mode=${mode}`);
    t.ok(
      endpoints[0].relabelings.some((r: any) => r.targetLabel === 'job' && r.replacement === 'vigil'),
      'job vigil, as the alerts expect',
    );
  }
});

t.test('kubectl kustomize builds deploy/kubernetes offline, and an overlay sets image, namespace and config', async (t) => {
  t.ok(kustomizations.includes('deploy/kubernetes'), 'deploy/kubernetes has a kustomization');
  for (const dir of kustomizations) {
    const built = kubectlKustomize(join(ROOT, dir)).filter(isObject);
    t.ok(built.length > 0, `${dir} builds`);
    const located = built.map((object, i) => ({ where: `kubectl kustomize ${dir} object ${i + 1} (${object.kind})`, object }));
    t.same(await validateWithModels(located), [], `${dir} output matches the schemas`);
    t.same(validateStrictFields(located), [], `${dir} output is strict-valid`);
  }

  const overlay = mkdtempSync(join(tmpdir(), 'vigil-overlay-'));
  t.teardown(() => rmSync(overlay, { recursive: true, force: true }));
  writeFileSync(
    join(overlay, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      `  - ${relative(overlay, join(ROOT, 'deploy/kubernetes'))}`,
      'namespace: observability',
      'images:',
      '  - name: ghcr.io/example/vigil',
      '    newName: registry.example.com/vigil',
      '    newTag: 9.9.9',
      'configMapGenerator:',
      '  - name: vigil-config',
      '    namespace: monitoring',
      '    behavior: replace',
      '    files: [vigil.yaml]',
      '',
    ].join('\n'),
  );
  writeFileSync(join(overlay, 'vigil.yaml'), 'probes:\n  cpu:\n    enabled: false\n');
  const built = kubectlKustomize(overlay).filter(isObject) as any[];
  const daemonset = built.find((o) => o.kind === 'DaemonSet');
  t.equal(daemonset.metadata.namespace, 'observability');
  t.equal(daemonset.spec.template.spec.containers[0].image, 'registry.example.com/vigil:9.9.9');
  const configMap = built.find((o) => o.kind === 'ConfigMap');
  t.equal(configMap.data['vigil.yaml'], 'probes:\n  cpu:\n    enabled: false\n');
  t.equal(daemonset.spec.template.spec.volumes.find((v: any) => v.configMap).configMap.name, configMap.metadata.name);
});

t.test(`${PROMETHEUS_RULE_FILE} is generated from ${ALERTS_FILE} (npm run prometheus-rule)`, async (t) => {
  const expected = renderPrometheusRule(readFileSync(join(ROOT, ALERTS_FILE), 'utf8'));
  t.equal(readFileSync(join(ROOT, PROMETHEUS_RULE_FILE), 'utf8'), expected, 'stale: run npm run prometheus-rule');
  const rule = objects.find((o) => o.object.kind === 'PrometheusRule')!.object as any;
  const source = parseYaml(readFileSync(join(ROOT, ALERTS_FILE), 'utf8'), ALERTS_FILE)[0] as { groups: unknown };
  t.same(rule.spec.groups, source.groups, 'same groups and rules');
});
