// The certificate of every HTTPS endpoint and TLS port as tls:expiry (http/<target>,
// tcp/<target>): certificates made with openssl here (leaf valid 10 days → warn, 3 days → fail,
// expired, not yet valid, an intermediate that expires first, a wrong host name, an unknown CA),
// served by Node's https and by openssl s_server; notAfter compared with `openssl x509 -enddate`.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateNotAfter, certificateNotBefore } from '../../src/probes/certificates/metadata.ts';
import { HttpProbe } from '../../src/probes/http/probe.ts';
import { TcpProbe } from '../../src/probes/tcp/probe.ts';
import type { Collection } from '../../src/probes/types.ts';
import { runCheckCommand } from '../../src/check-command.ts';
import { resolveConfig } from '../../src/config/load.ts';
import { PROBE_KINDS } from '../../src/probes/registry.ts';
import { captureLogs } from '../helpers.ts';
import { httpServer, opensslServer } from '../servers/http.ts';
import { DAY_MS, opensslDates, TestCa, validFor } from './certificates-openssl.ts';
import type { MetricDecl } from '../../src/metrics/family.ts';
import { checkOf, context, hostAt, live, seriesOf, settingsOf, verdict } from './helpers.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';
import { httpConfig } from '../../src/probes/http/config.ts';
import { tcpConfig } from '../../src/probes/tcp/config.ts';

type Target = Record<string, unknown>;

function httpProbe(t: { teardown(fn: () => unknown): void }, target: Target): HttpProbe {
  const probe = new HttpProbe(settingsOf(httpConfig, { targets: [{ name: 'api', ...target }] }), context(hostAt('/')));
  t.teardown(() => probe.stop());
  return probe;
}

function tcpProbe(t: { teardown(fn: () => unknown): void }, target: Target): TcpProbe {
  const probe = new TcpProbe(settingsOf(tcpConfig, { targets: [{ name: 'port', ...target }] }), context(hostAt('/')));
  t.teardown(() => probe.stop());
  return probe;
}

const expiry = (c: Collection) => checkOf(c, 'tls:expiry', 'http/api');
const status = (c: Collection) => checkOf(c, 'http:status', 'api');
/** The value of the series whose labels include `labels` (serial and issuer left out). */
const dated = (c: Collection, metric: MetricDecl, labels: Record<string, string>) =>
  c.samples.find((x) => x.metric === metric && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
const ok = (_req: unknown, res: { end(text: string): void }) => res.end('ok');

t.test('https endpoints: days left, warn and fail, the earliest-expiring certificate, outputs and series', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const tenDays = root.issue('api.vigil.test', validFor(10), 'DNS:api.vigil.test,IP:127.0.0.1');
  const threeDays = root.issue('api.vigil.test', validFor(3));
  const intermediate = root.intermediate('Vigil Test Intermediate', validFor(5));
  const chainLeaf = intermediate.issue('api.vigil.test', validFor(20));
  const chain = join(dir, 'chain.pem');
  writeFileSync(chain, `${chainLeaf.pem}${intermediate.pem}`);

  // openssl s_server: another TLS stack presenting the 10-day leaf.
  const s10 = await opensslServer(t, tenDays.cert, tenDays.key);
  const warn = await httpProbe(t, { url: s10.url('/'), tls: { ca_file: root.cert } }).collect(live());
  t.equal(status(warn)?.status, 'pass', status(warn)?.output ?? '');
  t.same(verdict(expiry(warn)), { status: 'warn', severity: 'SEV3' });
  t.match(expiry(warn)?.output, /^10 days left \(warn < 30 days\): CN=api\.vigil\.test \(issuer CN=Vigil Test Root, serial [0-9A-F]+\) until /);
  t.match(expiry(warn)?.details, { subject_cn: 'api.vigil.test', sans: ['DNS:api.vigil.test', 'IP Address:127.0.0.1'], chain_length: 2 });
  const byOpenssl = opensslDates(tenDays.cert);
  const leafLabels = { source: 'http/api', subject_cn: 'api.vigil.test' };
  t.equal(dated(warn, certificateNotAfter, leafLabels), byOpenssl.notAfter, `notAfter ${byOpenssl.notAfter} = openssl x509 -enddate`);
  t.equal(dated(warn, certificateNotBefore, leafLabels), byOpenssl.notBefore, 'notBefore = openssl x509 -startdate');
  const daysByOpenssl = (byOpenssl.notAfter * 1000 - Date.now()) / DAY_MS;
  t.ok(Math.abs((expiry(warn)?.observedValue as number) - daysByOpenssl) < 0.01, `${expiry(warn)?.observedValue} days left; openssl: ${daysByOpenssl}`);

  const n3 = await httpServer(t, ok, { tls: { cert: threeDays.cert, key: threeDays.key } });
  const fail = await httpProbe(t, { url: n3.url('/'), tls: { ca_file: root.cert } }).collect(live());
  t.same(verdict(expiry(fail)), { status: 'fail', severity: 'SEV2' });
  t.match(expiry(fail)?.output, /^3 days left \(fail < 7 days\): CN=api\.vigil\.test/);
  const relaxed = await httpProbe(t, { url: n3.url('/'), tls: { ca_file: root.cert }, expiry_thresholds: { warn: 2, fail: 1 } }).collect(live());
  t.equal(expiry(relaxed)?.status, 'pass', "the target's expiry_thresholds");

  const chained = await httpServer(t, ok, { tls: { cert: chain, key: chainLeaf.key } });
  const early = await httpProbe(t, { url: chained.url('/'), tls: { ca_file: root.cert } }).collect(live());
  t.same(verdict(expiry(early)), { status: 'fail', severity: 'SEV2' });
  t.match(
    expiry(early)?.output,
    /^5 days left \(fail < 7 days\): CN=Vigil Test Intermediate \(issuer CN=Vigil Test Root, .*; leaf CN=api\.vigil\.test .* until /,
  );
  t.match(expiry(early)?.details, { chain_length: 3, earliest_expiring: { subject_cn: 'Vigil Test Intermediate' } });
  t.same(
    seriesOf(early, certificateNotAfter)
      .map((l) => l.subject_cn)
      .sort(),
    ['Vigil Test Intermediate', 'Vigil Test Root', 'api.vigil.test'],
    'one series per certificate: what was sent, and the root it was verified against',
  );
  t.equal(dated(early, certificateNotAfter, { source: 'http/api', subject_cn: 'Vigil Test Intermediate' }), opensslDates(intermediate.cert).notAfter);
});

t.test('a kept-alive connection: the certificate of the socket used, at every request', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const leaf = root.issue('api.vigil.test', validFor(10));
  const server = await httpServer(t, ok, { tls: { cert: leaf.cert, key: leaf.key } });
  const probe = httpProbe(t, { url: server.url('/'), tls: { ca_file: root.cert } });
  const first = await probe.collect(live());
  const second = await probe.collect(live());
  t.equal(server.connections(), 1, 'two runs, one connection');
  t.equal(expiry(second)?.status, 'warn', 'the reused socket still reports its certificate');
  t.equal(dated(second, certificateNotAfter, { source: 'http/api', subject_cn: 'api.vigil.test' }), opensslDates(leaf.cert).notAfter);
  t.same(expiry(second)?.details, expiry(first)?.details);
});

t.test('certificates that do not verify: refused (tls:expiry fails with the reason) or, with insecure_skip_verify, judged and reported', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const other = TestCa.root(dir, 'Another Root');
  const now = Date.now();
  const cases = [
    { name: 'expired', made: root.issue('old.vigil.test', { notBefore: new Date(now - 30 * DAY_MS), notAfter: new Date(now - 2 * DAY_MS) }) },
    { name: 'not yet valid', made: root.issue('new.vigil.test', { notBefore: new Date(now + 2 * DAY_MS), notAfter: new Date(now + 60 * DAY_MS) }) },
    { name: 'wrong host name', made: root.issue('other.vigil.test', validFor(60), 'DNS:other.vigil.test') },
    { name: 'unknown CA', made: other.issue('api.vigil.test', validFor(60)) },
  ];
  const refused: Record<string, RegExp> = {
    expired: /certificate has expired$/,
    'not yet valid': /certificate is not yet valid$/,
    'wrong host name': /Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list/,
    'unknown CA': /: unable to verify the first certificate|: unable to get local issuer certificate/,
  };
  const insecure: Record<string, RegExp> = {
    expired: /^certificate not trusted: CERT_HAS_EXPIRED; expired \d{4}-\d\d-\d\dT[\d:]+Z, 2 days ago: CN=old\.vigil\.test/,
    'not yet valid': /^certificate not trusted: CERT_NOT_YET_VALID; not valid before [\d-]+T[\d:]+Z: CN=new\.vigil\.test/,
    'wrong host name':
      /^certificate does not match 127\.0\.0\.1: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list: ; 60 days left/,
    'unknown CA': /^certificate not trusted: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY); 60 days left/,
  };
  for (const c of cases) {
    const server = await httpServer(t, ok, { tls: { cert: c.made.cert, key: c.made.key } });
    const strict = await httpProbe(t, { url: server.url('/'), tls: { ca_file: root.cert } }).collect(live());
    t.equal(status(strict)?.status, 'fail', `${c.name}: refused`);
    t.same(verdict(expiry(strict)), { status: 'fail', severity: 'SEV2' }, `${c.name}: tls:expiry fails`);
    t.match(expiry(strict)?.output, refused[c.name], `${c.name}: ${expiry(strict)?.output}`);
    t.same(seriesOf(strict, certificateNotAfter), [], `${c.name}: no chain was kept`);

    const skip = await httpProbe(t, { url: server.url('/'), tls: { ca_file: root.cert, insecure_skip_verify: true } }).collect(live());
    t.equal(status(skip)?.status, 'pass', `${c.name}: insecure_skip_verify connects`);
    t.same(verdict(expiry(skip)), { status: 'fail', severity: 'SEV2' }, `${c.name}: not hidden`);
    t.match(expiry(skip)?.output, insecure[c.name], `${c.name}: ${expiry(skip)?.output}`);
    const leaf = seriesOf(skip, certificateNotAfter)[0] as Record<string, string>;
    t.equal(dated(skip, certificateNotAfter, leaf), opensslDates(c.made.cert).notAfter, `${c.name}: the leaf's notAfter = openssl x509 -enddate`);
  }
});

t.test('tcp targets with a tls: block report their chain as tcp/<target>; plain ones report none', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const leaf = root.issue('api.vigil.test', validFor(3));
  const expired = root.issue('old.vigil.test', { notBefore: new Date(Date.now() - 30 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
  const server = await opensslServer(t, leaf.cert, leaf.key);
  const old = await opensslServer(t, expired.cert, expired.key);
  const url = `tcp://127.0.0.1:${server.port}`;
  const tls = await tcpProbe(t, { url, tls: { ca_file: root.cert } }).collect(live());
  const check = checkOf(tls, 'tls:expiry', 'tcp/port');
  t.same(verdict(check), { status: 'fail', severity: 'SEV2' });
  t.match(check?.output, /^3 days left \(fail < 7 days\): CN=api\.vigil\.test/);
  t.equal(dated(tls, certificateNotAfter, { source: 'tcp/port', subject_cn: 'api.vigil.test' }), opensslDates(leaf.cert).notAfter);
  const plain = await tcpProbe(t, { url }).collect(live());
  t.notOk(checkOf(plain, 'tls:expiry', 'tcp/port'), 'no tls: block, no certificate');
  const refused = await tcpProbe(t, { url: `tcp://127.0.0.1:${old.port}`, tls: { ca_file: root.cert } }).collect(live());
  t.match(checkOf(refused, 'tls:expiry', 'tcp/port'), { status: 'fail', output: /certificate has expired$/ });
});

t.test('vigil check shows the endpoint and its certificate in its table', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const leaf = root.issue('api.vigil.test', validFor(10));
  const server = await httpServer(t, ok, { tls: { cert: leaf.cert, key: leaf.key } });
  const config = resolveConfig(
    {
      probes: {
        disk: { enabled: false },
        memory: { enabled: false },
        cpu: { enabled: false },
        http: { targets: [{ name: 'api', url: server.url('/'), tls: { ca_file: root.cert } }] },
      },
    },
    null,
    {},
    PROBE_SECTIONS,
  );
  let table = '';
  const logs = captureLogs('debug');
  await runCheckCommand(config, PROBE_KINDS, logs.logger, { json: false, color: false, write: (s) => (table += s) });
  const rows = table.split('\n');
  const row = (check: string, component: string) => rows.find((r) => r.includes(check) && r.includes(component));
  t.match(row('http:status', 'api'), /^PASS .*200 OK, TLS 1\.3/, 'http:status');
  t.match(row('http:latency', 'api'), /^PASS .* s, p95 /, 'http:latency');
  t.match(row('tls:expiry', 'http/api'), /^WARN .*10 days left \(warn < 30 days\): CN=api\.vigil\.test/, 'tls:expiry');
  t.comment(table);
});
