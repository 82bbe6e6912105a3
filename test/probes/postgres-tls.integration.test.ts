// sslmode against a PostgreSQL server of our own with TLS on (a certificate made here):
// require encrypts, verify-full checks the certificate against ssl_ca_file (the former key of
// tls.ca_file), and an unknown certificate fails the check. Then the tls: block against a
// server whose certificate a CA of our own signed, with a client certificate too.
import t from 'tap';
import { copyFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownToPostgres, ownPostgres } from '../servers/postgres.ts';
import { startAgent } from '../servers/agent.ts';
import { selfSignedLoopback } from './certificates-openssl.ts';
import { certificates } from '../servers/http.ts';

t.test('sslmode require / verify-full / unknown CA', async (t) => {
  const dir = t.testdir();
  const { cert, key } = selfSignedLoopback(dir);
  const server = await ownPostgres(t);
  // The server reads its key as the postgres OS user and insists on mode 0600.
  const serverCert = join(server.dataDir!, 'server.crt');
  const serverKey = join(server.dataDir!, 'server.key');
  copyFileSync(cert, serverCert);
  copyFileSync(key, serverKey);
  chmodSync(serverKey, 0o600);
  for (const file of [serverCert, serverKey]) chownToPostgres(file);
  await server.query("ALTER SYSTEM SET ssl = 'on'");
  await server.query('SELECT pg_reload_conf()');
  const url = (mode: string) => `${server.url()}?sslmode=${mode}`;
  const agent = await startAgent(t, {
    postgres: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'require', url: url('require') },
        { name: 'verified', url: url('verify-full'), ssl_ca_file: cert },
        { name: 'unknown-ca', url: url('verify-full') },
      ],
    },
  });
  await agent.until('postgres:reachable', 'require', 'pass', 20_000);
  await agent.until('postgres:reachable', 'verified', 'pass', 20_000);
  await agent.until('postgres:reachable', 'unknown-ca', 'fail', 20_000);
  t.match((await agent.check('postgres:reachable', 'unknown-ca'))?.output, /self[- ]signed certificate/);
  const ssl = await server.query<{ application_name: string; ssl: boolean }>(
    "SELECT a.application_name, s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name LIKE 'vigil:%' ORDER BY 1",
  );
  t.same(
    ssl,
    [
      { application_name: 'vigil:require', ssl: true },
      { application_name: 'vigil:verified', ssl: true },
    ],
    'both sessions are encrypted',
  );
});

t.test('the tls: block: verify-full without sslmode, server_name, insecure_skip_verify, a client certificate, a rotated CA', async (t) => {
  const dir = t.testdir();
  const certs = certificates(dir, { serverName: 'db.vigil.test', clientName: 'mtls' });
  const server = await ownPostgres(t);
  const inData = (name: string, from: string, mode: number) => {
    const path = join(server.dataDir!, name);
    copyFileSync(from, path);
    chmodSync(path, mode);
    chownToPostgres(path);
  };
  inData('server.crt', certs.serverCert, 0o644);
  inData('server.key', certs.serverKey, 0o600);
  inData('root.crt', certs.ca, 0o644);
  // Role mtls may only log in over TLS with a certificate of its name signed by the CA.
  const hba = join(server.dataDir!, 'pg_hba.conf');
  writeFileSync(hba, `hostssl all mtls 127.0.0.1/32 trust clientcert=verify-full\nhost all mtls 127.0.0.1/32 reject\n${readFileSync(hba, 'utf8')}`);
  await server.query('CREATE ROLE mtls LOGIN');
  await server.query("ALTER SYSTEM SET ssl = 'on'");
  await server.query("ALTER SYSTEM SET ssl_ca_file = 'root.crt'");
  await server.query('SELECT pg_reload_conf()');

  const rotating = join(dir, 'rotating-ca.pem');
  copyFileSync(certs.otherCa, rotating);
  const agent = await startAgent(t, {
    postgres: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'block', url: server.url(), tls: { ca_file: certs.ca } },
        { name: 'named', url: server.url(), tls: { ca_file: certs.ca, server_name: 'db.vigil.test' } },
        { name: 'wrong-name', url: server.url(), tls: { ca_file: certs.ca, server_name: 'other.vigil.test' } },
        { name: 'system-cas', url: `${server.url()}?sslmode=verify-full`, tls: {} },
        { name: 'skip-verify', url: server.url(), tls: { insecure_skip_verify: true } },
        { name: 'mtls', url: server.url('postgres', 'mtls'), tls: { ca_file: certs.ca, cert_file: certs.clientCert, key_file: certs.clientKey } },
        { name: 'mtls-no-cert', url: server.url('postgres', 'mtls'), tls: { ca_file: certs.ca } },
        { name: 'rotating', url: server.url(), tls: { ca_file: rotating } },
      ],
    },
  });
  for (const name of ['block', 'named', 'skip-verify', 'mtls']) await agent.until('postgres:reachable', name, 'pass', 20_000);
  for (const name of ['wrong-name', 'system-cas', 'mtls-no-cert', 'rotating']) await agent.until('postgres:reachable', name, 'fail', 20_000);
  t.match((await agent.check('postgres:reachable', 'wrong-name'))?.output, /other\.vigil\.test/, 'the certificate is checked against server_name');
  t.match((await agent.check('postgres:reachable', 'system-cas'))?.output, /certificate/, 'an empty block trusts the system CAs only');
  t.match((await agent.check('postgres:reachable', 'mtls-no-cert'))?.output, /certificate/, 'no client certificate, no login');
  t.match((await agent.check('postgres:reachable', 'rotating'))?.output, /certificate/);

  copyFileSync(certs.ca, rotating);
  await agent.until('postgres:reachable', 'rotating', 'pass', 20_000);
  t.pass('a replaced CA file is read at the next connect, without a restart');

  const sessions = await server.query<{ application_name: string; ssl: boolean; client_dn: string | null }>(
    "SELECT a.application_name, s.ssl, s.client_dn FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name LIKE 'vigil:%' ORDER BY 1",
  );
  t.same(
    sessions,
    [
      { application_name: 'vigil:block', ssl: true, client_dn: null },
      { application_name: 'vigil:mtls', ssl: true, client_dn: '/CN=mtls' },
      { application_name: 'vigil:named', ssl: true, client_dn: null },
      { application_name: 'vigil:rotating', ssl: true, client_dn: null },
      { application_name: 'vigil:skip-verify', ssl: true, client_dn: null },
    ],
    'every session that passed is encrypted; mtls presented its certificate',
  );
});
