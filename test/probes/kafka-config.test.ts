// probes.kafka config: targets, VIGIL_KAFKA_BROKERS (one cluster per `;` item), secrets, defaults.
import t from 'tap';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import { writeFileSync } from 'node:fs';
import { readConnectionSecrets, type KafkaOptions } from '../../src/probes/kafka/config.ts';
import { kafkaConfig } from '../../src/probes/kafka/config.ts';

function run(raw: unknown, env: NodeJS.ProcessEnv = {}) {
  const problems: string[] = [];
  const parsed = raw === undefined ? undefined : kafkaConfig.schema.parse(raw);
  const out = kafkaConfig.resolve({ section: parsed, defaults: BUILTIN_SCHEDULE, env }, (path, message) => problems.push(`${path}: ${message}`));
  return { out, problems, options: out.map((s) => s.options as KafkaOptions) };
}

t.test('VIGIL_KAFKA_BROKERS: a comma list is one cluster named after its first broker; ; separates clusters', async (t) => {
  const { out, problems, options } = run(undefined, { VIGIL_KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092;other:9093' });
  t.same(problems, []);
  t.same(
    out.map((s) => s.name),
    ['kafka/kafka-0:9092', 'kafka/other:9093'],
  );
  t.same(options[0]?.connection.brokers, ['kafka-0:9092', 'kafka-1:9092']);
  t.equal(options[0]?.cluster, 'kafka-0:9092');
  t.same(run(undefined, { VIGIL_KAFKA_BROKERS: 'nonsense' }).problems, ['(VIGIL_KAFKA_BROKERS item 1).brokers.0: must be host:port']);
});

t.test('defaults: internal groups excluded, runbook thresholds, per-partition series by size', async (t) => {
  const { options, problems } = run({ targets: [{ name: 'events', brokers: ['k:9092'] }] });
  t.same(problems, []);
  const o = options[0]!;
  t.ok(o.groupsExclude?.test('_confluent-controlcenter'));
  t.notOk(o.groupsExclude?.test('orders'));
  t.equal(o.groupsInclude, null);
  t.same(
    o.lagSecondsThresholds.levels.map((l) => [l.status, l.at, l.severity]),
    [
      ['warn', 30, 'SEV3'],
      ['fail', 60, 'SEV2'],
    ],
  );
  t.same(
    o.lagMessagesThresholds.levels.map((l) => [l.status, l.at]),
    [['warn', 1000]],
  );
  t.equal(o.perPartitionMetrics, 'auto', 'per-partition series decided by size unless set');
  t.equal(o.statusWindow, 10);
});

t.test('section-wide options apply to every target unless it overrides them', async (t) => {
  const { options } = run({
    per_partition_metrics: false,
    groups_include: '^orders',
    targets: [
      { name: 'a', brokers: ['a:1'] },
      { name: 'b', brokers: ['b:1'], per_partition_metrics: true, groups_exclude: '' },
    ],
  });
  t.same(
    options.map((o) => o.perPartitionMetrics),
    [false, true],
  );
  t.ok(options[1]?.groupsInclude?.test('orders-eu'));
  t.equal(options[1]?.groupsExclude, null, 'an empty exclude pattern excludes nothing');
});

t.test('SASL passwords come from exactly one source; env at resolve time, files at every connect', async (t) => {
  const dir = t.testdir({ pw: 'from-file\n' });
  const target = (sasl: object) => ({ targets: [{ name: 'a', brokers: ['a:1'], sasl: { mechanism: 'scram-sha-512', username: 'vigil', ...sasl } }] });
  const fromFile = run(target({ password_file: `${dir}/pw` })).options[0]!.connection;
  t.same(fromFile.sasl, { mechanism: 'scram-sha-512', username: 'vigil', passwordFile: `${dir}/pw` }, 'the file is named, not read');
  t.same((await readConnectionSecrets(fromFile)).sasl, { mechanism: 'scram-sha-512', username: 'vigil', password: 'from-file' });
  writeFileSync(`${dir}/pw`, 'rotated\n');
  t.equal((await readConnectionSecrets(fromFile)).sasl?.password, 'rotated', 'a rotated secret is read at the next connect');
  t.same(run(target({ password_env: 'PW' }), { PW: 'from-env' }).options[0]?.connection.sasl?.password, 'from-env');
  t.match(run(target({ password: 'a', password_env: 'PW' })).problems, [/sasl: set exactly one of password, password_file, password_env/]);
  t.match(run(target({ password_env: 'NOPE' })).problems, [/sasl.password_env: NOPE is not set/]);
  t.throws(() => run({ targets: [{ name: 'a', brokers: ['a:1'], sasl: { mechanism: 'gssapi', username: 'x', password: 'y' } }] }));
});

t.test('missing secret and certificate files do not fail config validation; connecting says which file', async (t) => {
  const missing = '/nonexistent/vigil-test';
  const { problems, options } = run({
    targets: [
      {
        name: 'a',
        brokers: ['a:1'],
        sasl: { mechanism: 'plain', username: 'u', password_file: `${missing}/pw` },
        tls: { ca_file: `${missing}/ca.pem`, cert_file: `${missing}/c.pem`, key_file: `${missing}/k.pem` },
      },
    ],
  });
  t.same(problems, [], 'config check passes without the mounted files');
  await t.rejects(readConnectionSecrets(options[0]!.connection), { message: `cannot read tls.ca_file ${missing}/ca.pem: no such file` });
  const dir = t.testdir({ 'ca.pem': 'CA', 'c.pem': 'CERT', 'k.pem': 'KEY', pw: 'secret' });
  const ok = run({
    targets: [
      {
        name: 'a',
        brokers: ['a:1'],
        sasl: { mechanism: 'plain', username: 'u', password_file: `${dir}/pw` },
        tls: { ca_file: `${dir}/ca.pem`, cert_file: `${dir}/c.pem`, key_file: `${dir}/k.pem`, insecure_skip_verify: true },
      },
    ],
  });
  t.same(await readConnectionSecrets(ok.options[0]!.connection), {
    ssl: { ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false },
    sasl: { mechanism: 'plain', username: 'u', password: 'secret' },
  });
});

t.test('a broker item is never echoed, and a broken broker list reports the broker problem, not the name', async (t) => {
  const secret = 'user:hunter2@kafka-0:9092';
  const env = run(undefined, { VIGIL_KAFKA_BROKERS: secret });
  t.same(env.problems, ['(VIGIL_KAFKA_BROKERS item 1).brokers.0: must be host:port']);
  t.notMatch(env.problems.join('\n'), /hunter2/);
  const listed = run(undefined, { VIGIL_KAFKA_BROKERS: `kafka-0:9092,${secret}` });
  t.same(listed.problems, ['(VIGIL_KAFKA_BROKERS item 1).brokers.1: must be host:port']);
  t.notMatch(listed.problems.join('\n'), /hunter2/);
});

t.test('thresholds must ascend', async (t) => {
  t.throws(() => run({ targets: [{ brokers: ['a:1'], lag_seconds_thresholds: { warn: 90 } }] }), /must be less than fail/);
});
