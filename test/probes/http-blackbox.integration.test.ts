// Side by side with Debian's prometheus-blackbox-exporter in one run, against the same URLs:
// Vigil's vigil_http_status_code equals the exporter's probe_http_status_code (200, 302 not
// followed, 404, 500, 503 and HTTPS with a CA of our own), up matches probe_success, and the
// TLS version and the tcp prober's success agree too.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslDates, TestCa, validFor } from './certificates-openssl.ts';
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

// What each counts: blackbox_exporter's probe_ssl_earliest_cert_expiry is the earliest notAfter
// of the certificates the server sent (Go's PeerCertificates: no root unless the server sends
// it); its probe_ssl_last_chain_expiry_timestamp_seconds the earliest of the verified chain,
// root included. Vigil's series are the chain of getPeerCertificate(true): what was sent,
// completed by OpenSSL with the root it verified against. So the minimum over Vigil's series of
// a source equals the first when the root is not the earliest, and always the second; the
// minimum without the self-signed root always equals the first.
t.test("probe_ssl_earliest_cert_expiry equals Vigil's earliest notAfter; days left equal openssl x509 -enddate", async (t) => {
  const dir = t.testdir();
  const chainOf = (name: string, rootDays: number) => {
    const root = TestCa.root(dir, `${name} Root`, validFor(rootDays));
    const intermediate = root.intermediate(`${name} Intermediate`, validFor(20));
    const leaf = intermediate.issue('api.vigil.test', validFor(10));
    const chain = join(dir, `${name}-chain.pem`);
    writeFileSync(chain, `${leaf.pem}${intermediate.pem}`);
    return { root, intermediate, leaf, chain };
  };
  // A root that outlives the chain, and one that expires first (4 days).
  const long = chainOf('Long', 365);
  const short = chainOf('Short', 4);
  const ok = (_req: unknown, res: import('node:http').ServerResponse) => res.end('ok');
  const servers = {
    long: await httpServer(t, ok, { tls: { cert: long.chain, key: long.leaf.key } }),
    short: await httpServer(t, ok, { tls: { cert: short.chain, key: short.leaf.key } }),
  };
  const module = (ca: string) => ({ prober: 'http', timeout: '4s', http: { preferred_ip_protocol: 'ip4', tls_config: { ca_file: ca } } });
  const blackbox = await startBlackbox(t, dir, { long: module(long.root.cert), short: module(short.root.cert) });
  const agent = await startAgent(t, {
    http: {
      interval: '500ms',
      failure_threshold: 1,
      targets: [
        { name: 'long', url: servers.long.url('/'), tls: { ca_file: long.root.cert } },
        { name: 'short', url: servers.short.url('/'), tls: { ca_file: short.root.cert } },
      ],
    },
  });
  await agent.until('tls:expiry', 'http/long', 'warn', 10_000);
  await agent.until('tls:expiry', 'http/short', 'fail', 10_000);
  const ours = (await agent.get('/metrics')).body;
  for (const [name, made] of [
    ['long', long],
    ['short', short],
  ] as const) {
    const theirs = await blackbox.probe(servers[name].url('/'), name);
    const earliest = samplesOf(theirs, 'probe_ssl_earliest_cert_expiry')[0]?.value;
    const lastChain = samplesOf(theirs, 'probe_ssl_last_chain_expiry_timestamp_seconds')[0]?.value;
    const series = samplesOf(ours, 'vigil_tls_certificate_not_after_timestamp_seconds').filter((s) => s.labels.source === `http/${name}`);
    t.equal(series.length, 3, `${name}: leaf, intermediate and root`);
    const min = Math.min(...series.map((s) => s.value));
    const sent = Math.min(...series.filter((s) => s.labels.subject_cn !== s.labels.issuer_cn).map((s) => s.value));
    const leafEnd = opensslDates(made.leaf.cert).notAfter;
    const rootEnd = opensslDates(made.root.cert).notAfter;
    t.comment(`${name}: probe_ssl_earliest_cert_expiry ${earliest}, probe_ssl_last_chain_expiry ${lastChain}; Vigil min ${min}, min without the root ${sent}`);
    t.equal(sent, earliest, `${name}: Vigil's earliest of the sent certificates = probe_ssl_earliest_cert_expiry (${earliest})`);
    t.equal(min, lastChain, `${name}: Vigil's earliest, root included = probe_ssl_last_chain_expiry_timestamp_seconds (${lastChain})`);
    if (name === 'long') t.equal(min, earliest, 'long: the root is not the earliest, so min(source) = probe_ssl_earliest_cert_expiry');
    t.equal(earliest, leafEnd, `${name}: both = the leaf's openssl x509 -enddate (${leafEnd})`);
    t.equal(min, name === 'long' ? leafEnd : rootEnd, `${name}: the earliest = openssl x509 -enddate of the ${name === 'long' ? 'leaf' : 'root'}`);
    const check = await agent.check('tls:expiry', `http/${name}`);
    const daysByOpenssl = (min - Date.now() / 1000) / 86_400;
    t.comment(`${name}: tls:expiry ${check?.observedValue} days left; openssl -enddate ${daysByOpenssl.toFixed(5)} days`);
    t.ok(Math.abs((check?.observedValue as number) - daysByOpenssl) < 0.01, `${name}: days left = openssl x509 -enddate, to the rounding of two decimals`);
  }
});
