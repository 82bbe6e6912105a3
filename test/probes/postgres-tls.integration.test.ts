// sslmode against a PostgreSQL server of our own with TLS on (a certificate made here):
// require encrypts, verify-full checks the certificate against ssl_ca_file, and an unknown
// certificate fails the check.
import t from 'tap';
import { copyFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chownToPostgres, ownPostgres } from '../servers/postgres.ts';
import { startAgent } from '../servers/agent.ts';

t.test('sslmode require / verify-full / unknown CA', async (t) => {
  const dir = t.testdir();
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
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
  t.same(ssl, [{ application_name: 'vigil:require', ssl: true }, { application_name: 'vigil:verified', ssl: true }], 'both sessions are encrypted');
});
