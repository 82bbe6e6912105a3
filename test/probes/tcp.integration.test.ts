// The tcp probe against real listeners on loopback: a plain port, a refused one, one that
// never completes a TLS handshake, and TLS servers (Node's and openssl s_server) with
// certificates made here; plus its config.
import t from 'tap';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import type { TcpOptions } from '../../src/probes/tcp/index.ts';
import { TcpProbe } from '../../src/probes/tcp/probe.ts';
import * as m from '../../src/probes/tcp/metadata.ts';
import type { Collection } from '../../src/probes/types.ts';
import { blackhole } from '../servers/net.ts';
import { certificates, httpServer, opensslServer } from '../servers/http.ts';
import { checkOf, context, hostAt, live, settingsOf, valueOf, verdict } from './helpers.ts';
import { tcpConfig } from '../../src/probes/tcp/config.ts';

function probeOf(t: { teardown(fn: () => unknown): void }, target: Record<string, unknown>): TcpProbe {
  const probe = new TcpProbe(settingsOf(tcpConfig, { targets: [{ name: 'port', ...target }] }), context(hostAt('/')));
  t.teardown(() => probe.stop());
  return probe;
}
const check = (c: Collection) => checkOf(c, 'tcp:connect', 'port');

t.test('config: targets, env list, problems', async (t) => {
  const problems: string[] = [];
  const out = tcpConfig.resolve(
    {
      section: tcpConfig.schema.parse({ timeout: '2s', targets: [{ url: 'tcp://mail.internal:25' }, { name: 'ldaps', url: 'tcp://[::1]:636', tls: {} }] }),
      defaults: BUILTIN_SCHEDULE,
      env: { VIGIL_TCP_URL: 'tcp://a:1,tcp://b' },
    },
    (p, msg) => problems.push(`${p}: ${msg}`),
  );
  t.same(problems, ['(VIGIL_TCP_URL item 2).url: must name a host and a port: tcp://host:port']);
  t.same(
    out.map((s) => s.name),
    ['tcp/mail.internal:25', 'tcp/ldaps', 'tcp/a:1'],
  );
  const [mail, ldaps] = out.map((s) => s.options as TcpOptions);
  t.match(mail, { host: 'mail.internal', port: 25, tls: null, connectTimeoutMs: 1600, display: 'tcp://mail.internal:25' });
  t.match(ldaps, { host: '::1', port: 636, tls: { insecure: false } });
  t.throws(() => tcpConfig.schema.parse({ targets: [{ url: 'http://h:1' }] }));
});

t.test('a plain port: connected, phases; refused: the reason', async (t) => {
  const server = await httpServer(t, (_req, res) => res.end());
  const c = await probeOf(t, { url: `tcp://127.0.0.1:${server.port}` }).collect(live());
  t.same(verdict(check(c)), { status: 'pass', severity: null });
  t.match(check(c)?.output, /^connected in \d+(\.\d+)? s$/);
  t.equal(valueOf(c, m.up, { target: 'port' }), 1);
  t.ok((valueOf(c, m.duration, { target: 'port', phase: 'connect' }) ?? 0) > 0);
  t.equal(valueOf(c, m.duration, { target: 'port', phase: 'tls' }), undefined, 'no tls phase without a handshake');
  await server.close();
  const refused = await probeOf(t, { url: `tcp://127.0.0.1:${server.port}` }).collect(live());
  t.same(verdict(check(refused)), { status: 'fail', severity: 'SEV2' });
  t.equal(check(refused)?.output, `tcp://127.0.0.1:${server.port}: connect ECONNREFUSED 127.0.0.1:${server.port}`);
  t.equal(valueOf(refused, m.up, { target: 'port' }), 0);
});

t.test('TLS: verified against our CA, wrong name, expired, a port that never completes the handshake', async (t) => {
  const certs = certificates(t.testdir());
  const node = await httpServer(t, (_req, res) => res.end(), { tls: { cert: certs.serverCert, key: certs.serverKey } });
  const expired = await httpServer(t, (_req, res) => res.end(), { tls: { cert: certs.expiredCert, key: certs.expiredKey } });
  const openssl = await opensslServer(t, certs.serverCert, certs.serverKey);
  const hole = await blackhole();
  t.teardown(() => hole.close());

  const probe = probeOf(t, { url: `tcp://127.0.0.1:${node.port}`, tls: { ca_file: certs.ca } });
  const ok = await probe.collect(live());
  t.match(check(ok)?.output, /^connected in \d+(\.\d+)? s, TLS 1\.3$/);
  t.ok((valueOf(ok, m.duration, { target: 'port', phase: 'tls' }) ?? 0) > 0);
  t.equal(valueOf(ok, m.tlsVersion, { target: 'port', version: 'TLS 1.3' }), 1);
  t.match(probe.lastConnect?.tls?.peerCertificate?.subject, { CN: '127.0.0.1' }, 'the peer certificate is kept for an expiry check');
  t.equal(
    check(await probeOf(t, { url: `tcp://127.0.0.1:${openssl.port}`, tls: { ca_file: certs.ca, server_name: 'api.vigil.test' } }).collect(live()))?.status,
    'pass',
  );
  t.match(
    check(await probeOf(t, { url: `tcp://127.0.0.1:${node.port}`, tls: { ca_file: certs.ca, server_name: 'x.vigil.test' } }).collect(live()))?.output,
    /does not match certificate's altnames/,
  );
  t.match(
    check(await probeOf(t, { url: `tcp://127.0.0.1:${node.port}`, tls: {} }).collect(live()))?.output,
    /unable to verify the first certificate|local issuer/,
  );
  t.equal(
    check(await probeOf(t, { url: `tcp://127.0.0.1:${expired.port}`, tls: { ca_file: certs.ca } }).collect(live()))?.output,
    `tcp://127.0.0.1:${expired.port}: certificate has expired`,
  );
  const silent = await probeOf(t, { url: `tcp://127.0.0.1:${hole.port}`, tls: {}, timeout: '1s', connect_timeout: '300ms' }).collect(live());
  t.equal(check(silent)?.output, `tcp://127.0.0.1:${hole.port}: timed out after 300ms (TLS handshake)`);
});
