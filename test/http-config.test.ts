// The `http:` section: limits, probe port, details, token and TLS keys, validated like the rest.
import t from 'tap';
import { resolveConfigText } from '../src/config/load.ts';
import { PROBE_SECTIONS as kinds } from '../src/probes/sections.ts';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfigText(yaml, null, env, kinds);
  } catch (err) {
    return [...(err as { problems: string[] }).problems];
  }
  return [];
}

t.test('defaults keep a single port, bounded and open as before', async (t) => {
  const { http } = resolveConfigText('', null, {}, kinds);
  t.same(http, {
    host: '0.0.0.0',
    port: 9477,
    probePort: null,
    drainDelayMs: 5000,
    requestTimeoutMs: 10_000,
    maxConnections: 256,
    maxConcurrentMetrics: 4,
    healthDetails: 'always',
    auth: null,
    tls: null,
  });
});

t.test('VIGIL_HTTP_HOST overrides http.host', async (t) => {
  const { http } = resolveConfigText('http:\n  host: 0.0.0.0\n', null, { VIGIL_HTTP_HOST: '127.0.0.1' }, kinds);
  t.equal(http.host, '127.0.0.1');
});

t.test('a token file makes details when-authorized; files are named, never read, while validating', async (t) => {
  const { http } = resolveConfigText(
    'http:\n  probe_port: 9478\n  auth:\n    token_file: /no/such/token\n    metrics: true\n  tls:\n    cert_file: /no/cert\n    key_file: /no/key\n',
    null,
    {},
    kinds,
  );
  t.equal(http.healthDetails, 'when-authorized');
  t.same(http.auth, { tokenFile: '/no/such/token', metrics: true });
  t.same(http.tls, { certFile: '/no/cert', keyFile: '/no/key' });
  t.equal(http.probePort, 9478);
});

t.test('every problem of the section, with its path', async (t) => {
  t.same(problems('http:\n  port: 9477\n  probe_port: 9477\n  request_timeout: 10m\n  health_details: when-authorized\n'), [
    'http.probe_port: must differ from http.port (9477)',
    'http.request_timeout: must be at most 5m',
    'http.health_details: when-authorized needs http.auth.token_file',
  ]);
  t.same(
    problems('http:\n  max_connections: 0\n  max_concurrent_metrics: 2000\n  health_details: sometimes\n  auth: {metrics: yes}\n  tls: {cert_file: /c}\n'),
    [
      'http.max_connections: must be an integer 1-65535',
      'http.max_concurrent_metrics: must be an integer 1-1024',
      'http.health_details: must be one of always, when-authorized, never',
      'http.auth.token_file: is required',
      'http.auth.metrics: must be true or false',
      'http.tls.key_file: is required',
    ],
  );
  t.same(problems('', { VIGIL_HTTP_HOST: '' }), [], 'an empty variable is ignored like the others');
});

t.test('the NetworkPolicy admits exactly the ports the DaemonSet serves and probes', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { parseAllDocuments } = await import('yaml');
  const read = (file: string) =>
    parseAllDocuments(readFileSync(new URL(`../deploy/kubernetes/${file}`, import.meta.url), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const [policy] = read('networkpolicy.yaml');
  t.equal(policy?.kind, 'NetworkPolicy');
  const daemonset = read('daemonset.yaml');
  const configMap = daemonset.find((o) => o.kind === 'ConfigMap');
  const { http } = resolveConfigText(configMap?.data['vigil.yaml'], 'daemonset.yaml', {}, kinds);
  const admitted = ((policy?.spec.ingress ?? []) as { ports: { port: number }[] }[]).flatMap((rule) => rule.ports.map((p) => p.port)).sort();
  t.same(admitted, [http.port, http.probePort].sort(), 'main port for Prometheus, probe port for the kubelet');
  const container = daemonset.find((o) => o.kind === 'DaemonSet')?.spec.template.spec.containers[0];
  t.equal(container.livenessProbe.httpGet.port, http.probePort, 'liveness on the probe port');
  t.equal(container.readinessProbe.httpGet.port, http.probePort, 'readiness on the probe port');
  t.same(policy?.spec.podSelector.matchLabels, daemonset.find((o) => o.kind === 'DaemonSet')?.spec.selector.matchLabels, 'selects the agent pods');
});
