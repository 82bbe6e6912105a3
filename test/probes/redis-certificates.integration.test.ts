// The certificate of a TLS Redis server Vigil holds a connection to, as tls:expiry
// (redis/<target>): a server of our own presenting a leaf valid 10 days (warn) and its
// intermediate, made with openssl here; notAfter compared with `openssl x509 -enddate`.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownRedis } from '../servers/redis.ts';
import { metricValue, startAgent } from '../servers/agent.ts';
import { opensslDates, TestCa, validFor } from './certificates-openssl.ts';

const NOT_AFTER = 'vigil_tls_certificate_not_after_timestamp_seconds';

t.test("a TLS Redis server's certificate chain appears as tls:expiry components", async (t) => {
  const dir = t.testdir();
  const root = TestCa.root(dir, 'Vigil Test Root');
  const intermediate = root.intermediate('Vigil Test Intermediate', validFor(20));
  const leaf = intermediate.issue('cache.vigil.test', validFor(10), 'DNS:cache.vigil.test,IP:127.0.0.1');
  const chain = join(dir, 'chain.pem');
  writeFileSync(chain, `${leaf.pem}${intermediate.pem}`);
  const server = await ownRedis(t, { tls: { cert: chain, key: leaf.key, ca: root.cert } });
  const plain = await ownRedis(t);
  const agent = await startAgent(t, {
    redis: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'verified', url: server.url(), tls: { ca_file: root.cert } },
        { name: 'relaxed', url: server.url(), tls: { ca_file: root.cert }, expiry_thresholds: { warn: 5, fail: 2 } },
        { name: 'skip-verify', url: server.url(), tls: { insecure_skip_verify: true } },
        { name: 'plain', url: plain.url() },
      ],
    },
  });
  await agent.until('tls:expiry', 'redis/verified', 'warn', 20_000);
  await agent.until('tls:expiry', 'redis/relaxed', 'pass', 20_000);
  await agent.until('tls:expiry', 'redis/skip-verify', 'fail', 20_000);
  await agent.until('redis:reachable', 'plain', 'pass', 20_000);
  t.match(await agent.check('tls:expiry', 'redis/verified'), {
    severity: 'SEV3',
    playbook: 'Certificate Expiry',
    output: /^10 days left \(warn < 30 days\): CN=cache\.vigil\.test \(issuer CN=Vigil Test Intermediate, serial [0-9A-F]+\) until /,
    details: { subject_cn: 'cache.vigil.test', sans: ['DNS:cache.vigil.test', 'IP Address:127.0.0.1'], chain_length: 3 },
  });
  t.match(
    await agent.check('tls:expiry', 'redis/skip-verify'),
    { severity: 'SEV2', output: /^certificate not trusted: \w+; 10 days left/ },
    'insecure_skip_verify connects, and the untrusted chain is reported',
  );
  t.notOk(await agent.check('tls:expiry', 'redis/plain'), 'no TLS, no certificate');
  const metrics = (await agent.get('/metrics')).body;
  const leafEnd = opensslDates(leaf.cert);
  t.equal(
    metricValue(metrics, NOT_AFTER, { source: 'redis/verified', subject_cn: 'cache.vigil.test' }),
    leafEnd.notAfter,
    `notAfter ${leafEnd.notAfter} = openssl x509 -enddate`,
  );
  t.equal(
    metricValue(metrics, NOT_AFTER, { source: 'redis/verified', subject_cn: 'Vigil Test Intermediate' }),
    opensslDates(intermediate.cert).notAfter,
    'the intermediate too',
  );
});
