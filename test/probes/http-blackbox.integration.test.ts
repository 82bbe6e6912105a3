// Side by side with Debian's prometheus-blackbox-exporter in one run, against the same URLs:
// Vigil's vigil_http_status_code equals the exporter's probe_http_status_code (200, 302 not
// followed, 404, 500, 503 and HTTPS with a CA of our own), up matches probe_success, and the
// TLS version and the tcp prober's success agree too.
import t from 'tap';
import { certificates, httpServer } from '../servers/http.ts';
import { startBlackbox } from '../servers/blackbox.ts';
import { metricValue, startAgent } from '../servers/agent.ts';
import { samplesOf } from '../servers/agent.ts';

t.test('vigil_http_status_code equals probe_http_status_code', async (t) => {
  const dir = t.testdir();
  const certs = certificates(dir);
  const handler = (req: { url?: string | undefined }, res: import('node:http').ServerResponse) => {
    const code = Number(/^\/(\d{3})$/.exec(req.url ?? '')?.[1] ?? 200);
    if (code === 302) res.writeHead(302, { location: '/200' }).end();
    else res.writeHead(code, { 'content-type': 'text/plain' }).end(`status ${code}`);
  };
  const plain = await httpServer(t, handler);
  const secure = await httpServer(t, handler, { tls: { cert: certs.serverCert, key: certs.serverKey } });
  const blackbox = await startBlackbox(t, dir, {
    http: { prober: 'http', timeout: '4s', http: { preferred_ip_protocol: 'ip4', follow_redirects: false } },
    https: { prober: 'http', timeout: '4s', http: { preferred_ip_protocol: 'ip4', follow_redirects: false, tls_config: { ca_file: certs.ca } } },
    tcp: { prober: 'tcp', timeout: '4s', tcp: { preferred_ip_protocol: 'ip4' } },
  });
  const cases = [
    { name: 'ok', url: plain.url('/200'), module: 'http' },
    { name: 'redirect', url: plain.url('/302'), module: 'http' },
    { name: 'missing', url: plain.url('/404'), module: 'http' },
    { name: 'error', url: plain.url('/500'), module: 'http' },
    { name: 'unavailable', url: plain.url('/503'), module: 'http' },
    { name: 'tls', url: secure.url('/200'), module: 'https' },
    { name: 'tls-error', url: secure.url('/503'), module: 'https' },
  ];
  const agent = await startAgent(t, {
    http: {
      interval: '500ms',
      failure_threshold: 1,
      targets: cases.map(({ name, url, module }) => ({ name, url, ...(module === 'https' ? { tls: { ca_file: certs.ca } } : {}) })),
    },
    tcp: { interval: '500ms', targets: [{ name: 'plain', url: `tcp://127.0.0.1:${plain.port}` }] },
  });
  for (const { name } of cases) await agent.until('http:status', name, name === 'ok' || name === 'tls' ? 'pass' : 'fail', 10_000);
  await agent.until('tcp:connect', 'plain', 'pass', 10_000);
  const ours = (await agent.get('/metrics')).body;
  for (const { name, url, module } of cases) {
    const theirs = await blackbox.probe(url, module);
    const code = samplesOf(theirs, 'probe_http_status_code')[0]?.value;
    t.equal(metricValue(ours, 'vigil_http_status_code', { target: name }), code, `${name}: status code ${code} in both`);
    t.equal(metricValue(ours, 'vigil_http_up', { target: name }), samplesOf(theirs, 'probe_success')[0]?.value, `${name}: up = probe_success`);
    if (module === 'https') {
      const version = samplesOf(theirs, 'probe_tls_version_info')[0]?.labels.version;
      t.equal(metricValue(ours, 'vigil_http_tls_version_info', { target: name, version: version ?? '' }), 1, `${name}: ${version} in both`);
    }
    const phases = samplesOf(theirs, 'probe_http_duration_seconds')
      .map((s) => s.labels.phase)
      .sort();
    t.same(
      samplesOf(ours, 'vigil_http_duration_seconds')
        .filter((s) => s.labels.target === name)
        .map((s) => s.labels.phase)
        .sort(),
      phases,
      `${name}: the same phases`,
    );
  }
  const tcp = await blackbox.probe(`127.0.0.1:${plain.port}`, 'tcp');
  t.equal(metricValue(ours, 'vigil_tcp_up', { target: 'plain' }), samplesOf(tcp, 'probe_success')[0]?.value, 'tcp: up = probe_success');
});
