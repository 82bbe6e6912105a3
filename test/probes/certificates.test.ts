// Certificate expiry from certificates made here with openssl: the tls:expiry ladder (10 days
// warns, 3 fails, expired and not-yet-valid fail), an intermediate that expires before its leaf,
// days left against `openssl x509 -enddate` to the second, the chain a real TLS server presents
// (wrong host name, unknown CA), and the certificates kind reading files, bundles, DER, a
// Kubernetes secret volume, globs, a renewal, broken files and a hung one.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, readFileSync, openSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CheckStore } from '../../src/checks/store.ts';
import { resolveLadder } from '../../src/config/thresholds.ts';
import { healthDocument } from '../../src/http/health-doc.ts';
import { certificateReport } from '../../src/probes/certificates/inspect.ts';
import { certificateSamples, expiryObservation } from '../../src/probes/certificates/observe.ts';
import { peerChain, reportPeerCertificate } from '../../src/probes/certificates/peer.ts';
import { certificateNotAfter, certificateNotBefore, tlsExpiry } from '../../src/probes/certificates/metadata.ts';
import { CertificatesProbe } from '../../src/probes/certificates/probe.ts';
import { MAX_CERTIFICATES, MAX_FILES } from '../../src/probes/certificates/config.ts';
import { emptyCollection } from '../../src/probes/types.ts';
import { checkOf, context, live, settingsOf, verdict } from './helpers.ts';
import { DAY_MS, openssl, opensslDates, TestCa, validFor, type Made } from './certificates-openssl.ts';
import { certificatesConfig } from '../../src/probes/certificates/config.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const thresholds = resolveLadder(tlsExpiry, undefined);
const x509 = (made: Made) => new X509Certificate(readFileSync(made.cert));

t.test('the tls:expiry ladder: 40 days pass, 10 warn (SEV3), 3 fail (SEV2), expired and not yet valid fail', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const now = new Date();
  const judged = (made: Made) => expiryObservation({ source: made.cert, report: certificateReport([x509(made)], now), thresholds });
  const cases: [string, Made, string, string | null, RegExp][] = [
    ['40 days', root.issue('ok.test', validFor(40)), 'pass', null, /^40 days left: CN=ok\.test \(issuer CN=Vigil Test Root, serial [0-9A-F]+\) until /],
    ['10 days', root.issue('warn.test', validFor(10)), 'warn', 'SEV3', /^10 days left \(warn < 30 days\): CN=warn\.test/],
    ['3 days', root.issue('fail.test', validFor(3)), 'fail', 'SEV2', /^3 days left \(fail < 7 days\): CN=fail\.test/],
    ['expired', root.issue('expired.test', validFor(-2)), 'fail', 'SEV2', /^expired \S+Z, 2 days ago: CN=expired\.test/],
    [
      'not yet valid',
      root.issue('future.test', { notBefore: new Date(now.getTime() + 2 * DAY_MS), notAfter: new Date(now.getTime() + 40 * DAY_MS) }),
      'fail',
      'SEV2',
      /^not valid before \S+Z: CN=future\.test/,
    ],
  ];
  for (const [what, made, status, severity, output] of cases) {
    const o = judged(made);
    t.same(verdict(o), { status, severity }, `${what}: ${status}`);
    t.match(o.output, output, `${what}: ${o.output}`);
  }
  const o = judged(cases[1]![1]);
  t.match(o.details, { subject_cn: 'warn.test', issuer_cn: 'Vigil Test Root', sans: ['IP Address:127.0.0.1'] }, 'SANs and names in details');
});

t.test('a chain whose intermediate expires first is judged on the intermediate', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const intermediate = root.intermediate('Short Intermediate', validFor(5));
  const leaf = intermediate.issue('db.test', validFor(60), 'DNS:db.test,IP:127.0.0.1');
  const now = new Date();
  const report = certificateReport([x509(leaf), new X509Certificate(intermediate.pem), new X509Certificate(root.pem)], now);
  t.equal(report.leaf.subjectCn, 'db.test');
  t.equal(report.earliest.subjectCn, 'Short Intermediate');
  const o = expiryObservation({ source: 'chain', report, thresholds });
  t.same(verdict(o), { status: 'fail', severity: 'SEV2' });
  t.equal(o.observedValue, 5);
  t.match(o.output, /^5 days left \(fail < 7 days\): CN=Short Intermediate .*; leaf CN=db\.test /);
  t.match(o.details, {
    subject_cn: 'db.test',
    sans: ['DNS:db.test', 'IP Address:127.0.0.1'],
    chain_length: 3,
    earliest_expiring: { subject_cn: 'Short Intermediate' },
  });
  t.equal(certificateSamples('chain', report).length, 6, 'notBefore and notAfter of each of the three');
});

t.test('days left equal openssl x509 -enddate to the second', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const now = new Date();
  for (const days of [10, 3, 0.5, -1, 397.25]) {
    const made = root.issue(`d${days}.test`, validFor(days, now.getTime()));
    const dates = opensslDates(made.cert);
    const report = certificateReport([x509(made)], now);
    const [notAfter, notBefore] = certificateSamples(made.cert, report);
    t.equal(notAfter?.metric, certificateNotAfter);
    t.equal(notAfter?.value, dates.notAfter, `notAfter ${notAfter?.value} = openssl ${dates.notAfter}`);
    t.equal(notBefore?.metric, certificateNotBefore);
    t.equal(notBefore?.value, dates.notBefore, `notBefore ${notBefore?.value} = openssl ${dates.notBefore}`);
    const opensslDays = (dates.notAfter - now.getTime() / 1000) / 86_400;
    t.ok(Math.abs(report.leaf.daysLeft - opensslDays) * 86_400 < 1e-6, `${days} d: ${report.leaf.daysLeft} days = openssl's ${opensslDays}`);
    t.equal(expiryObservation({ source: 'x', report, thresholds }).observedValue, Math.round(opensslDays * 100) / 100);
    t.match(openssl('x509', '-in', made.cert, '-noout', '-serial'), `serial=${report.leaf.serial}`, 'serial as openssl prints it');
  }
});

/** A TLS server on loopback presenting `chain` (leaf first); closed at teardown. */
async function tlsServer(t: Teardown, key: string, chain: readonly string[]): Promise<number> {
  const server = createServer({ key: readFileSync(key), cert: chain.join('') }, (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function handshake(t: Teardown, port: number, ca: string, rejectUnauthorized = true): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port, ca, rejectUnauthorized, checkServerIdentity: () => undefined });
  await once(socket, 'secureConnect');
  t.teardown(() => socket.destroy());
  return socket;
}

t.test('peerChain: the chain a TLS server presents, an untrusted chain and another host name as failing conditions', async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const other = TestCa.root(dir, 'Unknown Root');
  const intermediate = root.intermediate('Short Intermediate', validFor(5));
  const leaf = intermediate.issue('db.test', validFor(60), 'DNS:db.test,IP:127.0.0.1');
  const port = await tlsServer(t, leaf.key, [leaf.pem, intermediate.pem]);

  const trusted = await handshake(t, port, root.pem);
  const chain = peerChain(trusted, { verify: true, hostname: '127.0.0.1' });
  t.same(
    chain.certificates.map((c) => c.subject),
    ['CN=db.test', 'CN=Short Intermediate', 'CN=Vigil Test Root'],
    'leaf, intermediate, and the root it was verified against',
  );
  t.same(chain.problems, []);
  const out = emptyCollection();
  reportPeerCertificate(out, trusted, { source: 'test/db', thresholds, verify: true, hostname: 'db.test' });
  t.same(verdict(checkOf(out, 'tls:expiry', 'test/db')), { status: 'fail', severity: 'SEV2' }, 'the intermediate expires in 5 days');
  t.equal(out.samples.length, 6);

  t.match(peerChain(trusted, { hostname: 'other.test' }).problems, [/^certificate does not match other\.test: .*other\.test/]);
  const untrusted = await handshake(t, port, other.pem, false);
  t.match(peerChain(untrusted, { verify: true }).problems, [/^certificate not trusted: UNABLE_TO_GET_ISSUER_CERT_LOCALLY|unable to get local issuer/]);
  t.same(peerChain(untrusted).problems, [], 'verification not asked for: no condition');
  const o = emptyCollection();
  reportPeerCertificate(o, untrusted, { source: 'test/db', thresholds, verify: true });
  t.match(checkOf(o, 'tls:expiry', 'test/db')?.output, /^certificate not trusted: .*; 5 days left/);
});

t.test('the certificates kind: no files, no probe; every path must be absolute', async (t) => {
  const resolve = (section: unknown) => {
    const problems: string[] = [];
    const raw = section === undefined ? undefined : certificatesConfig.schema.parse(section);
    const settings = certificatesConfig.resolve({ section: raw, defaults: settingsOf(certificatesConfig, { files: ['/x'] }).schedule, env: {} }, (p, m) =>
      problems.push(`${p}: ${m}`),
    );
    return { settings, problems };
  };
  t.same(resolve(undefined), { settings: [], problems: [] }, 'zero-config: nothing');
  t.same(resolve({ files: [] }), { settings: [], problems: [] });
  t.match(resolve({ enabled: true }).problems, ['files: names no file: list the certificate files, directories or globs to watch']);
  t.match(resolve({ files: ['etc/tls.crt'] }).problems, ['files[0]: must be an absolute path']);
  t.match(resolve({ files: ['/etc/tls.crt'], expiry_thresholds: { warn: 60 } }).settings[0]?.options, {
    files: ['/etc/tls.crt'],
    thresholds: {
      direction: 'below',
      levels: [
        { status: 'warn', at: 60 },
        { status: 'fail', at: 7 },
      ],
    },
  });
  t.throws(
    () => certificatesConfig.schema.parse({ files: ['/a'], expiry_thresholds: { fail: 40 } }),
    /must be less than warn \(30, the default\)|must be greater than fail/,
  );
});

t.test('the certificates kind reads PEM bundles, DER, a Kubernetes secret volume and globs, sees a renewal, fails broken files with the reason', async (t) => {
  const rootfs = t.testdir();
  const work = join(rootfs, 'work');
  mkdirSync(work);
  const ca = TestCa.root(work, 'Vigil Test Root');
  const intermediate = ca.intermediate('Vigil Test Intermediate', validFor(200));
  const put = (path: string, data: string | Buffer) => {
    mkdirSync(dirname(join(rootfs, path)), { recursive: true });
    writeFileSync(join(rootfs, path), data);
  };
  const [ten, three, forty] = [ca.issue('ten.test', validFor(10)), ca.issue('three.test', validFor(3)), ca.issue('forty.test', validFor(40))];
  put('/etc/tls/bundle.pem', `${ten.pem}${three.pem}${forty.pem}`);
  put('/etc/tls/single.der', execFileSync('openssl', ['x509', '-in', forty.cert, '-outform', 'der']));
  put('/etc/tls/garbage.pem', 'this is not a certificate\n');
  put('/etc/tls/key-only.pem', readFileSync(ten.key));
  symlinkSync('/proc/self/mem', join(rootfs, 'etc/tls/unreadable.pem'));
  put('/etc/nginx/a.crt', forty.pem);
  put('/etc/nginx/b.crt', ten.pem);
  put('/etc/nginx/notes.txt', 'not matched');

  // A secret volume as the kubelet writes it: files in a timestamped directory, ..data
  // pointing at it, the visible names linking through ..data; a renewal swaps ..data.
  const secret = '/var/run/secrets/api-tls';
  const writeSecret = (version: string, leaf: Made) => {
    put(`${secret}/${version}/tls.crt`, `${leaf.pem}${intermediate.pem}`);
    put(`${secret}/${version}/tls.key`, readFileSync(leaf.key));
    put(`${secret}/${version}/ca.crt`, ca.pem);
    symlinkSync(version, join(rootfs, secret, '..data_tmp'));
    renameSync(join(rootfs, secret, '..data_tmp'), join(rootfs, secret, '..data'));
  };
  const expiring = intermediate.issue('api.test', validFor(3), 'DNS:api.test');
  writeSecret('..2026_12_01', expiring);
  for (const name of ['tls.crt', 'tls.key', 'ca.crt']) symlinkSync(`..data/${name}`, join(rootfs, secret, name));

  const files = [
    '/etc/tls/bundle.pem',
    '/etc/tls/single.der',
    secret,
    '/etc/nginx/*.crt',
    '/etc/tls/garbage.pem',
    '/etc/tls/key-only.pem',
    '/etc/tls/unreadable.pem',
    '/etc/tls/missing.pem',
    '/etc/none/*.pem',
  ];
  const probe = new CertificatesProbe(settingsOf(certificatesConfig, { files }), context({ proc: '/proc', sys: '/sys', rootfs }));
  await probe.start(live());
  let out = await probe.collect(live());
  const status = (id: string) => verdict(checkOf(out, 'tls:expiry', id))?.status;
  t.same(
    ['#1', '#2', '#3'].map((n) => status(`/etc/tls/bundle.pem${n}`)),
    ['warn', 'fail', 'pass'],
    'a bundle: one component per certificate (10 days warn, 3 fail, 40 pass)',
  );
  t.equal(status('/etc/tls/single.der'), 'pass', 'DER');
  t.equal(status(`${secret}/tls.crt#1`), 'fail', "the secret's leaf, 3 days");
  t.equal(status(`${secret}/tls.crt#2`), 'pass', 'its intermediate');
  t.equal(status(`${secret}/ca.crt`), 'pass', 'ca.crt');
  t.notOk(
    out.checks.some((o) => o.componentId.includes('tls.key')),
    'tls.key is not read',
  );
  t.same([status('/etc/nginx/a.crt'), status('/etc/nginx/b.crt')], ['pass', 'warn'], 'a glob');
  t.notOk(out.checks.some((o) => o.componentId.includes('notes.txt')));
  const output = (id: string) => checkOf(out, 'tls:expiry', id)?.output;
  t.match(output('/etc/tls/garbage.pem'), /^\/etc\/tls\/garbage\.pem: neither a PEM nor a DER certificate \(/);
  t.match(output('/etc/tls/key-only.pem'), /^\/etc\/tls\/key-only\.pem: holds no certificate \(PEM PRIVATE KEY\)/);
  t.match(output('/etc/tls/unreadable.pem'), /^\/etc\/tls\/unreadable\.pem: EIO: i\/o error, read/);
  t.match(output('/etc/tls/missing.pem'), /^\/etc\/tls\/missing\.pem: ENOENT: no such file or directory/);
  t.match(output('/etc/none/*.pem'), /^\/etc\/none\/\*\.pem: no file matches/);
  for (const id of ['/etc/tls/garbage.pem', '/etc/tls/unreadable.pem', '/etc/tls/missing.pem'])
    t.same(verdict(checkOf(out, 'tls:expiry', id)), { status: 'fail', severity: 'SEV2' }, `${id} fails`);
  t.ok(
    out.samples.some((s) => s.metric === certificateNotAfter && s.labels.source === `${secret}/tls.crt` && s.labels.subject_cn === 'api.test'),
    'series labelled with the file as source',
  );

  const renewed = intermediate.issue('api.test', validFor(90), 'DNS:api.test');
  writeSecret('..2026_12_02', renewed);
  out = await probe.collect(live());
  t.equal(status(`${secret}/tls.crt#1`), 'pass', 'the renewed secret is read at the next run');
  t.match(checkOf(out, 'tls:expiry', `${secret}/tls.crt#1`)?.details, { serial: new X509Certificate(renewed.pem).serialNumber });
  await probe.stop();
});

t.test('a file on a hung filesystem fails its entry after read_timeout, and is not read again while stuck', async (t) => {
  const rootfs = t.testdir();
  const fifo = join(rootfs, 'hung.pem');
  // A FIFO with no writer: the read blocks in the thread pool, as on a dead NFS server.
  execFileSync('mkfifo', [fifo]);
  const probe = new CertificatesProbe(
    settingsOf(certificatesConfig, { files: ['/hung.pem'], timeout: '2s', read_timeout: '300ms' }),
    context({ proc: '/proc', sys: '/sys', rootfs }),
  );
  let out = await probe.collect(live());
  t.match(checkOf(out, 'tls:expiry', '/hung.pem')?.output, '/hung.pem: reading timed out after 300ms');
  out = await probe.collect(live());
  t.match(checkOf(out, 'tls:expiry', '/hung.pem')?.output, /^\/hung\.pem: still being read since /);
  // Release the blocked read: a writer opens and closes the FIFO.
  closeSync(openSync(fifo, 'w'));
  rmSync(fifo);
});

t.test("a certificate's facts reach /health/detailed as details, through the check store", async (t) => {
  const dir = t.testdir();
  const made = TestCa.root(dir, 'Vigil Test Root').issue('api.test', validFor(10), 'DNS:api.test,DNS:www.api.test');
  const store = new CheckStore();
  const observation = expiryObservation({ source: '/etc/tls/api.pem', report: certificateReport([x509(made)], new Date()), thresholds });
  store.record('certificates', { critical: false, intervalMs: 60_000, failureThreshold: 1, successThreshold: 1 }, [observation], new Date());
  const doc = healthDocument({
    views: store.views(new Date()),
    service: { name: 'vigil', description: '' },
    identity: { nodeName: 'n', podName: null, namespace: null, hostname: 'h' },
    firstRoundDone: true,
  });
  t.match(doc.checks['tls:expiry'], [
    { componentId: '/etc/tls/api.pem', status: 'warn', observedUnit: 'days', details: { subject_cn: 'api.test', sans: ['DNS:api.test', 'DNS:www.api.test'] } },
  ]);
});

t.test('the caps: 256 files an entry, 1000 certificates a run, each beyond reported', async (t) => {
  const rootfs = t.testdir();
  const made = TestCa.root(join(rootfs), 'Vigil Test Root').issue('many.test', validFor(90));
  mkdirSync(join(rootfs, 'many'));
  for (let i = 0; i < MAX_FILES + 4; i++) writeFileSync(join(rootfs, 'many', `${String(i).padStart(3, '0')}.pem`), made.pem);
  writeFileSync(join(rootfs, 'bundle.pem'), made.pem.repeat(MAX_CERTIFICATES));
  const probe = new CertificatesProbe(settingsOf(certificatesConfig, { files: ['/many', '/bundle.pem'] }), context({ proc: '/proc', sys: '/sys', rootfs }));
  const out = await probe.collect(live());
  t.match(checkOf(out, 'tls:expiry', '/many')?.output, '/many: 4 more files not read (at most 256 an entry)');
  t.equal(out.checks.filter((o) => o.componentId.startsWith('/many/')).length, MAX_FILES);
  t.equal(verdict(checkOf(out, 'tls:expiry', `/bundle.pem#${MAX_CERTIFICATES - MAX_FILES}`))?.status, 'pass');
  t.match(
    checkOf(out, 'tls:expiry', `/bundle.pem#${MAX_CERTIFICATES - MAX_FILES + 1}`)?.output,
    `not read, over the limit of ${MAX_CERTIFICATES} certificates a run`,
  );
  t.equal(out.checks.length, MAX_CERTIFICATES + 2, 'nothing more after the limit');
});
