// The certificate of a PostgreSQL server Vigil connects to over TLS, as tls:expiry: a server of
// our own presenting a leaf valid 10 days (warn) and an intermediate valid 20, both made with
// openssl here. Verified (tls.ca_file), merely encrypted (sslmode=require) and plain targets;
// notAfter compared with what `openssl s_client -starttls postgres` reads from the same server.
import t from 'tap';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chownToPostgres, ownPostgres } from '../servers/postgres.ts';
import { metricValue, startAgent } from '../servers/agent.ts';
import { opensslDates, TestCa, validFor } from './certificates-openssl.ts';

const NOT_AFTER = 'vigil_tls_certificate_not_after_timestamp_seconds';

t.test("a TLS PostgreSQL server's certificate chain appears as tls:expiry components", async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const intermediate = root.intermediate('Vigil Test Intermediate', validFor(20));
  const leaf = intermediate.issue('db.vigil.test', validFor(10), 'DNS:db.vigil.test,IP:127.0.0.1');
  const chain = join(dir, 'chain.pem');
  writeFileSync(chain, `${leaf.pem}${intermediate.pem}`);

  const server = await ownPostgres(t);
  const inData = (name: string, from: string, mode: number) => {
    const path = join(server.dataDir!, name);
    copyFileSync(from, path);
    chmodSync(path, mode);
    chownToPostgres(path);
  };
  inData('server.crt', chain, 0o644);
  inData('server.key', leaf.key, 0o600);
  await server.query("ALTER SYSTEM SET ssl = 'on'");
  await server.query('SELECT pg_reload_conf()');

  const agent = await startAgent(t, {
    postgres: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'verified', url: server.url(), tls: { ca_file: root.cert } },
        { name: 'encrypted', url: `${server.url()}?sslmode=require`, expiry_thresholds: { warn: 5, fail: 2 } },
        { name: 'plain', url: server.url() },
      ],
    },
  });
  const waited = await agent.until('tls:expiry', 'postgres/verified', 'warn', 20_000);
  await agent.until('tls:expiry', 'postgres/encrypted', 'pass', 20_000);
  await agent.until('postgres:reachable', 'plain', 'pass', 20_000);
  t.comment(`tls:expiry of postgres/verified seen after ${waited} ms`);

  const verified = await agent.check('tls:expiry', 'postgres/verified');
  t.match(verified, {
    severity: 'SEV3',
    playbook: 'Certificate Expiry',
    observedUnit: 'days',
    output: /^10 days left \(warn < 30 days\): CN=db\.vigil\.test \(issuer CN=Vigil Test Intermediate, serial [0-9A-F]+\) until /,
    details: { subject_cn: 'db.vigil.test', issuer_cn: 'Vigil Test Intermediate', sans: ['DNS:db.vigil.test', 'IP Address:127.0.0.1'], chain_length: 3 },
  });
  t.match(await agent.check('tls:expiry', 'postgres/encrypted'), { details: { chain_length: 2 } }, 'not verified: the chain as presented, no root');
  t.notOk(await agent.check('tls:expiry', 'postgres/plain'), 'no TLS, no certificate');

  // What openssl reads from the same server, through PostgreSQL's own SSLRequest.
  const shown = execFileSync('openssl', ['s_client', '-starttls', 'postgres', '-connect', `127.0.0.1:${server.port}`], {
    input: '',
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const presented = join(dir, 'presented.pem');
  writeFileSync(presented, /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(shown)?.[0] ?? '');
  const fromServer = opensslDates(presented);
  t.equal(fromServer.notAfter, opensslDates(leaf.cert).notAfter, 'openssl s_client sees the leaf made here');
  const metrics = (await agent.get('/metrics')).body;
  const leafSeries = { source: 'postgres/verified', subject_cn: 'db.vigil.test' };
  t.equal(
    metricValue(metrics, NOT_AFTER, leafSeries),
    fromServer.notAfter,
    `notAfter ${fromServer.notAfter} = openssl s_client -starttls postgres | openssl x509 -enddate`,
  );
  t.equal(metricValue(metrics, 'vigil_tls_certificate_not_before_timestamp_seconds', leafSeries), fromServer.notBefore, 'notBefore = openssl x509 -startdate');
  t.equal(
    metricValue(metrics, NOT_AFTER, { source: 'postgres/verified', subject_cn: 'Vigil Test Intermediate' }),
    opensslDates(intermediate.cert).notAfter,
    'the intermediate too',
  );
  t.equal(metricValue(metrics, NOT_AFTER, { source: 'postgres/verified', subject_cn: 'Vigil Test Root' }), opensslDates(root.cert).notAfter, 'and the root');
  const daysByOpenssl = (fromServer.notAfter - Date.now() / 1000) / 86_400;
  t.ok(Math.abs((verified?.observedValue as number) - daysByOpenssl) < 0.01, `${verified?.observedValue} days left; openssl: ${daysByOpenssl}`);
});
