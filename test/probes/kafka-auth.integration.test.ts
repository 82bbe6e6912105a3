// The probe's own client authenticating to a real broker's SASL_PLAINTEXT listener with PLAIN,
// SCRAM-SHA-256 and SCRAM-SHA-512 (SCRAM credentials created by `kafka-storage format
// --add-scram`), reading the same lag as over PLAINTEXT; a wrong password fails the run with
// the broker's answer, never the password. And its SSL listener (a PEM certificate from
// openssl): trusted through `tls.ca_file`, refused without it.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/kafka.ts';
import * as m from '../../src/probes/kafka/metadata.ts';
import { certificateNotAfter } from '../../src/probes/certificates/metadata.ts';
import { startBroker } from '../../scripts/kafka.ts';
import { adminFor, createTopic, kafkaVersions, probeFor, produce, setOffsets, unique } from '../kafka/broker.ts';
import { selfSignedLoopback } from './certificates-openssl.ts';

t.setTimeout(600_000);

const PLAIN_PASSWORD = 'plain-secret-1';
const SCRAM_PASSWORD = 'scram-secret-2';

for (const version of kafkaVersions()) {
  t.test(`Kafka ${version}: SASL PLAIN and SCRAM, TLS`, async (t) => {
    const saslPort = await freePort();
    const sslPort = await freePort();
    const dir = t.testdir();
    const { cert, key } = selfSignedLoopback(dir);
    const keystore = join(dir, 'keystore.pem');
    writeFileSync(keystore, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
    const jaas = (module: string, extra = '') => `org.apache.kafka.common.security.${module} required${extra};`;
    const broker = await startBroker({
      version,
      listeners: { SASL_PLAINTEXT: saslPort, SSL: sslPort },
      properties: {
        'listener.name.ssl.ssl.keystore.type': 'PEM',
        'listener.name.ssl.ssl.keystore.location': keystore,
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': jaas('plain.PlainLoginModule', ` user_vigil="${PLAIN_PASSWORD}"`),
        'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': jaas('scram.ScramLoginModule'),
        'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': jaas('scram.ScramLoginModule'),
      },
      formatArgs: [
        '--add-scram',
        `SCRAM-SHA-256=[name=vigil,password=${SCRAM_PASSWORD}]`,
        '--add-scram',
        `SCRAM-SHA-512=[name=vigil,password=${SCRAM_PASSWORD}]`,
      ],
    });
    t.teardown(() => broker.destroy());
    const admin = await adminFor(t, broker);
    const prefix = unique('vigil-sasl');
    const topic = `${prefix}-events`;
    await createTopic(admin, topic, 2);
    await produce(broker, topic, [7, 3]);
    await setOffsets(broker, `${prefix}-g`, topic, { 0: 2, 1: 3 });
    const cluster = `kafka-${version}`;
    const brokers = [`127.0.0.1:${saslPort}`];

    for (const [mechanism, password] of [
      ['plain', PLAIN_PASSWORD],
      ['scram-sha-256', SCRAM_PASSWORD],
      ['scram-sha-512', SCRAM_PASSWORD],
    ] as const) {
      await t.test(`${mechanism}: authenticated, same lag`, async (t) => {
        const probe = probeFor(t, broker, { groupsInclude: `^${prefix}`, brokers, sasl: { mechanism, username: 'vigil', password } });
        const c = await probe.collect(AbortSignal.timeout(30_000));
        t.same(c.errors, []);
        t.equal(c.checks.find((o) => o.check.id === 'kafka:cluster' && o.componentId === cluster)?.status, 'pass');
        t.equal(c.samples.find((s) => s.metric === m.lagSum && s.labels.group === `${prefix}-g`)?.value, 5, '7−2 + 3−3');
      });
    }

    await t.test('TLS: the broker certificate trusted through tls.ca_file; refused without it', async (t) => {
      const tlsBrokers = [`127.0.0.1:${sslPort}`];
      const trusted = probeFor(t, broker, { groupsInclude: `^${prefix}`, brokers: tlsBrokers, tls: { ca_file: cert } });
      const c = await trusted.collect(AbortSignal.timeout(30_000));
      t.same(c.errors, []);
      t.equal(c.samples.find((s) => s.metric === m.lagSum && s.labels.group === `${prefix}-g`)?.value, 5);
      // The broker's certificate, as the connection presented it: valid 1 day, so tls:expiry fails (< 7).
      const source = `kafka/${cluster}/${tlsBrokers[0]}`;
      const expiry = c.checks.find((o) => o.check.id === 'tls:expiry' && o.componentId === source);
      t.match(expiry, { status: 'fail', severity: 'SEV2' }, `tls:expiry of ${source}`);
      const enddate = execFileSync('openssl', ['x509', '-enddate', '-noout', '-in', cert], { encoding: 'utf8' })
        .trim()
        .replace(/^notAfter=/, '');
      const notAfter = c.samples.find((s) => s.metric === certificateNotAfter && s.labels.source === source)?.value;
      t.equal(notAfter, Date.parse(enddate) / 1000, `notAfter ${notAfter} equals openssl's ${enddate}`);
      t.ok(Math.abs((expiry?.observedValue as number) - 1) < 0.01, `about 1 day left: ${expiry?.observedValue}`);
      const untrusted = probeFor(t, broker, { groupsInclude: `^${prefix}`, brokers: tlsBrokers, tls: true });
      await t.rejects(untrusted.collect(AbortSignal.timeout(30_000)), /cannot read cluster metadata: .*self[- ]signed certificate/);
    });

    await t.test('a wrong password fails the run with the broker answer, not the password', async (t) => {
      const wrong = 'not-the-password';
      const probe = probeFor(t, broker, { groupsInclude: `^${prefix}`, brokers, sasl: { mechanism: 'scram-sha-512', username: 'vigil', password: wrong } });
      const err = await probe.collect(AbortSignal.timeout(30_000)).then(
        () => null,
        (e: unknown) => e as Error,
      );
      t.match(err?.message, /cannot read cluster metadata: .*SASL_AUTHENTICATION_FAILED|cannot read cluster metadata: .*authentication/i);
      t.notOk(err?.message.includes(wrong), 'no password in the error');
      t.comment(err?.message);
    });
  });
}
