// The shared config blocks: `tls:` (ca_file, cert_file, key_file, server_name,
// insecure_skip_verify) and password / password_file, the same for PostgreSQL, Redis and Kafka
// targets; PostgreSQL's URL sslmode combined with the block; the former per-kind keys mapped
// onto the block with a deprecation; files read at connect, never while validating.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { resolveConfig, type ResolvedConfig } from '../../src/config/load.ts';
import { VigilError } from '../../src/errors.ts';
import { PROBE_KINDS } from '../../src/probes/registry.ts';
import { runCli } from '../../src/cli.ts';
import { Agent, logDeprecations } from '../../src/agent.ts';
import { freePort } from '../../bench/lib.ts';
import { readTlsFiles, tlsConnectOptions } from '../../src/probes/secret-file.ts';
import { DEFAULT_TLS } from '../../src/config/tls.ts';
import type { PostgresOptions } from '../../src/probes/postgres/config.ts';
import { sslConfig } from '../../src/probes/postgres/client.ts';
import type { RedisOptions } from '../../src/probes/redis/config.ts';
import { readConnectionSecrets, type KafkaOptions } from '../../src/probes/kafka/config.ts';
import { captureLogs, logLineErrors } from '../helpers.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';

const TARGETS = {
  postgres: (extra: object) => ({ name: 'pg', url: 'postgres://vigil@db:5432/app?sslmode=verify-full', ...extra }),
  redis: (extra: object) => ({ name: 'cache', url: 'rediss://cache:6380', ...extra }),
  kafka: (extra: object) => ({ name: 'events', brokers: ['kafka-0:9092'], ...extra }),
} as const;
type Kind = keyof typeof TARGETS;
const KINDS = Object.keys(TARGETS) as Kind[];

function resolve(probes: object): ResolvedConfig {
  return resolveConfig({ probes }, null, {}, PROBE_SECTIONS);
}

/** The config's problems, [] when it is valid. */
function problems(probes: object): string[] {
  try {
    resolve(probes);
    return [];
  } catch (err) {
    if (err instanceof VigilError) return [...err.problems];
    throw err;
  }
}

function target(kind: Kind, extra: object) {
  return { [kind]: { targets: [TARGETS[kind](extra)] } };
}

function options<O>(config: ResolvedConfig, kind: Kind): O {
  return config.probes.find((p) => p.kind === kind)!.options as O;
}

/** The resolved TLS settings of a kind's one target, whatever the option is called there. */
function tlsOf(config: ResolvedConfig, kind: Kind) {
  if (kind === 'kafka') return options<KafkaOptions>(config, kind).connection.tls;
  return options<PostgresOptions | RedisOptions>(config, kind).tls;
}

const FULL_BLOCK = {
  ca_file: '/etc/ssl/ca.pem',
  cert_file: '/etc/vigil/client.pem',
  key_file: '/etc/vigil/client.key',
  server_name: 'db.internal',
  insecure_skip_verify: true,
};

t.test('every network kind accepts the same block, each field resolved, no file read', async (t) => {
  for (const kind of KINDS) {
    const config = resolve(target(kind, { tls: FULL_BLOCK }));
    t.same(
      tlsOf(config, kind),
      {
        caFile: '/etc/ssl/ca.pem',
        certFile: '/etc/vigil/client.pem',
        keyFile: '/etc/vigil/client.key',
        serverName: 'db.internal',
        insecure: true,
        keys: { caFile: 'tls.ca_file', certFile: 'tls.cert_file', keyFile: 'tls.key_file' },
      },
      `${kind}: every field`,
    );
    t.ok(Object.isFrozen(tlsOf(config, kind)), `${kind}: frozen`);
    t.same(config.deprecations, [], `${kind}: the block is not deprecated`);
    t.same(resolve(target(kind, { tls: {} })).probes.length, 4, `${kind}: an empty block is valid`);
  }
});

t.test('bad input in the block is reported with its path, for every kind', async (t) => {
  for (const kind of KINDS) {
    const at = `probes.${kind}.targets.0.tls`;
    t.same(
      problems(target(kind, { tls: { ca_file: 3, cert_file: '', key_file: null, server_name: '', insecure_skip_verify: 'yes', ca: '/x' } })),
      [
        `${at}.ca_file: must be a file path`,
        `${at}.cert_file: must be a file path`,
        `${at}.key_file: must be a file path`,
        `${at}.server_name: must be a host name`,
        `${at}.insecure_skip_verify: must be true or false`,
        `${at}.ca: unknown key`,
      ],
      kind,
    );
    t.same(problems(target(kind, { tls: { cert_file: '/c.pem' } })), [`${at}: cert_file and key_file go together`], `${kind}: a certificate needs its key`);
    t.same(problems(target(kind, { tls: { key_file: '/k.pem' } })), [`${at}: cert_file and key_file go together`], `${kind}: a key needs its certificate`);
  }
  t.same(problems(target('kafka', { tls: 'yes' })), [
    'probes.kafka.targets.0.tls: must be true, false or a TLS block (ca_file, cert_file, key_file, server_name, insecure_skip_verify)',
  ]);
  t.same(
    problems(target('redis', { url: 'redis://cache', tls: { ca_file: '/ca.pem' } })),
    ['probes.redis.targets.0.url: TLS settings need a rediss:// URL'],
    'redis:// with a block',
  );
});

t.test('Kafka: true is the block with nothing set; false and absent are plaintext', async (t) => {
  t.equal(tlsOf(resolve(target('kafka', { tls: true })), 'kafka'), DEFAULT_TLS);
  t.equal(tlsOf(resolve(target('kafka', { tls: false })), 'kafka'), null);
  t.equal(tlsOf(resolve(target('kafka', {})), 'kafka'), null);
  t.same(await readConnectionSecrets(options<KafkaOptions>(resolve(target('kafka', { tls: true })), 'kafka').connection), {
    ssl: { rejectUnauthorized: true },
    sasl: undefined,
  });
});

t.test('Redis: rediss:// without a block verifies against the system CAs; redis:// has no TLS', async (t) => {
  t.equal(tlsOf(resolve(target('redis', {})), 'redis'), DEFAULT_TLS);
  t.equal(tlsOf(resolve(target('redis', { url: 'redis://cache' })), 'redis'), null);
});

t.test("PostgreSQL: the URL's sslmode and the block combine", async (t) => {
  const mode = (url: string, extra: object = {}) =>
    options<PostgresOptions>(resolve({ postgres: { targets: [{ name: 'pg', url, ...extra }] } }), 'postgres').sslMode;
  const base = 'postgres://vigil@db:5432/app';
  t.equal(mode(base), 'disable', 'no sslmode, no block: plaintext as before');
  for (const m of ['require', 'verify-ca', 'verify-full']) t.equal(mode(`${base}?sslmode=${m}`), m, `sslmode=${m} alone`);
  for (const m of ['disable', 'allow', 'prefer']) t.equal(mode(`${base}?sslmode=${m}`), 'disable', `sslmode=${m} alone means no TLS`);
  t.equal(mode(base, { tls: {} }), 'verify-full', 'a block without sslmode asks for verified TLS');
  t.equal(mode(base, { tls: { insecure_skip_verify: true } }), 'require', '… unverified with insecure_skip_verify');
  t.equal(mode(`${base}?sslmode=verify-full`, { tls: { insecure_skip_verify: true } }), 'require', 'insecure_skip_verify wins over verify-full');
  t.equal(mode(`${base}?sslmode=verify-ca`, { tls: { insecure_skip_verify: true } }), 'require', '… and over verify-ca');
  t.equal(mode(`${base}?sslmode=require`, { tls: { ca_file: '/ca.pem' } }), 'verify-ca', 'require with a CA verifies the chain, as libpq');
  t.equal(mode(`${base}?sslmode=require`, { tls: { cert_file: '/c', key_file: '/k' } }), 'require', 'require with a client certificate only');
  t.equal(mode(`${base}?sslmode=verify-ca`, { tls: { ca_file: '/ca.pem' } }), 'verify-ca');
  t.equal(mode(`${base}?sslmode=verify-full`, { tls: { ca_file: '/ca.pem', server_name: 'db.internal' } }), 'verify-full');
  for (const m of ['disable', 'allow', 'prefer']) {
    t.same(problems({ postgres: { targets: [{ name: 'pg', url: `${base}?sslmode=${m}`, tls: {} }] } }), [
      `probes.postgres.targets.0.tls: is set but the URL's sslmode=${m} turns TLS off: drop one of them`,
    ]);
  }
  t.same(
    problems({ postgres: { targets: [{ name: 'pg', url: `${base}?sslmode=sometimes`, tls: {} }] } }),
    ['probes.postgres.targets.0.url: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full'],
    'a bad sslmode is one problem',
  );
  // The former key keeps its meaning: a CA for verify-ca / verify-full, never TLS by itself.
  t.equal(mode(base, { ssl_ca_file: '/ca.pem' }), 'disable', 'ssl_ca_file alone does not turn TLS on');
  t.equal(mode(`${base}?sslmode=require`, { ssl_ca_file: '/ca.pem' }), 'require', 'ssl_ca_file does not make require verify');
  t.equal(mode(`${base}?sslmode=disable`, { ssl_ca_file: '/ca.pem' }), 'disable', 'ssl_ca_file with sslmode=disable is accepted as before');
});

t.test('PostgreSQL: pg gets the files of the block and the checks of its mode', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'CA', 'c.pem': 'CERT', 'k.pem': 'KEY' });
  const pg = (url: string, tls: object) => options<PostgresOptions>(resolve({ postgres: { targets: [{ name: 'pg', url, tls }] } }), 'postgres');
  const files = { ca_file: `${dir}/ca.pem`, cert_file: `${dir}/c.pem`, key_file: `${dir}/k.pem` };
  t.equal(
    await sslConfig(
      options<PostgresOptions>(resolve({ postgres: { targets: [{ name: 'pg', url: 'postgres://db/app', ssl_ca_file: '/nonexistent' }] } }), 'postgres'),
    ),
    false,
    'disable: no TLS, nothing read',
  );

  const full = await sslConfig(pg('postgres://db/app', files));
  t.match(full, { ca: 'CA', cert: 'CERT', key: 'KEY' });
  t.equal((full as { checkServerIdentity?: unknown }).checkServerIdentity, undefined, 'verify-full: Node checks the host name');

  const named = await sslConfig(pg('postgres://10.0.0.5/app', { ...files, server_name: 'db.internal' }));
  t.match(named, { ca: 'CA', servername: 'db.internal' });
  const check = (named as { checkServerIdentity: (host: string, cert: object) => Error | undefined }).checkServerIdentity;
  const cert = { subject: { CN: 'db.internal' }, subjectaltname: 'DNS:db.internal' };
  t.equal(check('10.0.0.5', cert), undefined, 'the certificate is checked against server_name, not the host');
  t.type(check('10.0.0.5', { subject: { CN: 'other' }, subjectaltname: 'DNS:other' }), Error);

  const chain = await sslConfig(pg('postgres://db/app?sslmode=verify-ca', files));
  t.match(chain, { ca: 'CA' });
  t.equal((chain as { checkServerIdentity: () => unknown }).checkServerIdentity(), undefined, 'verify-ca: no host name check');

  const unverified = await sslConfig(pg('postgres://db/app', { ...files, ca_file: '/nonexistent/ca.pem', insecure_skip_verify: true }));
  t.same(unverified, { cert: 'CERT', key: 'KEY', rejectUnauthorized: false }, 'require: client certificate sent, the CA not even read');
});

t.test('files are read at every connect; an unreadable one names its key and path', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'CA-1', 'c.pem': 'CERT', 'k.pem': 'KEY' });
  const config = resolve(
    target('redis', { tls: { ca_file: `${dir}/ca.pem`, cert_file: `${dir}/c.pem`, key_file: `${dir}/k.pem`, server_name: 'cache.internal' } }),
  );
  const tls = tlsOf(config, 'redis')!;
  t.same(await tlsConnectOptions(tls), { ca: 'CA-1', cert: 'CERT', key: 'KEY', servername: 'cache.internal', rejectUnauthorized: true });
  writeFileSync(`${dir}/ca.pem`, 'CA-2');
  t.equal((await readTlsFiles(tls)).ca, 'CA-2', 'a rotated CA is read at the next connect');
  for (const [field, key] of [
    ['ca_file', 'tls.ca_file'],
    ['cert_file', 'tls.cert_file'],
    ['key_file', 'tls.key_file'],
  ] as const) {
    const block = { ca_file: `${dir}/ca.pem`, cert_file: `${dir}/c.pem`, key_file: `${dir}/k.pem`, [field]: `${dir}/missing.pem` };
    await t.rejects(
      readTlsFiles(tlsOf(resolve(target('redis', { tls: block })), 'redis')!),
      { message: `cannot read ${key} ${dir}/missing.pem: no such file` },
      field,
    );
  }
});

t.test('password and password_file: one fragment for every kind, bad input with its path', async (t) => {
  for (const [kind, at, wrap] of [
    ['postgres', 'probes.postgres.targets.0', (o: object) => o],
    ['redis', 'probes.redis.targets.0', (o: object) => o],
    ['kafka', 'probes.kafka.targets.0.sasl', (o: object) => ({ sasl: { mechanism: 'plain', username: 'vigil', ...o } })],
  ] as const) {
    t.same(problems(target(kind, wrap({ password: 7 }))), [`${at}.password: must be a string`], `${kind}: password`);
    t.same(problems(target(kind, wrap({ password_file: 7 }))), [`${at}.password_file: must be a file path`], `${kind}: password_file`);
    t.same(problems(target(kind, wrap({ password_file: '' }))), [`${at}.password_file: must be a file path`], `${kind}: empty password_file`);
    t.same(problems(target(kind, wrap({ password_file: '/nonexistent/pw' }))), [], `${kind}: the file is not opened while validating`);
  }
  const dir = t.testdir({ pw: 'first\n' });
  const kafka = options<KafkaOptions>(resolve(target('kafka', { sasl: { mechanism: 'plain', username: 'vigil', password_file: `${dir}/pw` } })), 'kafka');
  t.equal((await readConnectionSecrets(kafka.connection)).sasl?.password, 'first');
  writeFileSync(`${dir}/pw`, 'second\n');
  t.equal((await readConnectionSecrets(kafka.connection)).sasl?.password, 'second', 'Kafka re-reads its file too');
  const missing = options<KafkaOptions>(resolve(target('kafka', { sasl: { mechanism: 'plain', username: 'vigil', password_file: `${dir}/nope` } })), 'kafka');
  await t.rejects(readConnectionSecrets(missing.connection), { message: `cannot read sasl.password_file ${dir}/nope: no such file` });
});

t.test('former keys keep working, mapped onto the block, each with a deprecation naming both paths', async (t) => {
  const pg = resolve({ postgres: { targets: [{ name: 'pg', url: 'postgres://db/app?sslmode=verify-full', ssl_ca_file: '/etc/ssl/pg-ca.pem' }] } });
  t.match(tlsOf(pg, 'postgres'), { caFile: '/etc/ssl/pg-ca.pem', insecure: false, keys: { caFile: 'ssl_ca_file' } });
  t.same(pg.deprecations, [
    {
      path: 'probes.postgres.targets.0.ssl_ca_file',
      replacement: 'probes.postgres.targets.0.tls.ca_file',
      message:
        'probes.postgres.targets.0.ssl_ca_file is deprecated: write probes.postgres.targets.0.tls.ca_file instead (the old key is removed in the next release)',
    },
  ]);
  t.ok(Object.isFrozen(pg.deprecations) && Object.isFrozen(pg.deprecations[0]), 'frozen with the rest of the config');

  const redis = resolve({
    redis: {
      targets: [
        { url: 'rediss://a:6380', tls_ca_file: '/etc/ssl/r-ca.pem' },
        { name: 'b', url: 'rediss://b:6380', tls_insecure_skip_verify: true },
      ],
    },
  });
  const [a, b] = redis.probes.filter((p) => p.kind === 'redis').map((p) => (p.options as RedisOptions).tls);
  t.match(a, { caFile: '/etc/ssl/r-ca.pem', insecure: false, keys: { caFile: 'tls_ca_file' } });
  t.match(b, { caFile: undefined, insecure: true });
  t.same(
    redis.deprecations.map((d) => [d.path, d.replacement]),
    [
      ['probes.redis.targets.0.tls_ca_file', 'probes.redis.targets.0.tls.ca_file'],
      ['probes.redis.targets.1.tls_insecure_skip_verify', 'probes.redis.targets.1.tls.insecure_skip_verify'],
    ],
  );

  // The former key and its replacement together: one of them is a leftover.
  t.same(problems({ redis: { targets: [{ url: 'rediss://a:6380', tls_ca_file: '/old.pem', tls: { ca_file: '/new.pem' } }] } }), [
    'probes.redis.targets.0.tls_ca_file: is the former name of tls.ca_file, which is set too: keep tls.ca_file only',
  ]);
  t.same(problems({ postgres: { targets: [{ url: 'postgres://db/app?sslmode=verify-full', ssl_ca_file: '/old.pem', tls: { ca_file: '/new.pem' } }] } }), [
    'probes.postgres.targets.0.ssl_ca_file: is the former name of tls.ca_file, which is set too: keep tls.ca_file only',
  ]);
  // A former key next to other block fields is merged with them.
  const merged = resolve({ redis: { targets: [{ url: 'rediss://a:6380', tls_ca_file: '/old.pem', tls: { server_name: 'cache.internal' } }] } });
  t.match(tlsOf(merged, 'redis'), { caFile: '/old.pem', serverName: 'cache.internal' });
  t.same(
    problems({ postgres: { targets: [{ url: 'postgres://db/app', ssl_ca_file: 3 }] } }),
    ['probes.postgres.targets.0.ssl_ca_file: must be a file path'],
    'former keys are still validated',
  );

  // A file named by a former key is reported by that key when it cannot be read.
  await t.rejects(
    readTlsFiles(
      tlsOf(resolve({ postgres: { targets: [{ url: 'postgres://db/app?sslmode=verify-full', ssl_ca_file: '/nonexistent/ca.pem' }] } }), 'postgres')!,
    ),
    {
      message: 'cannot read ssl_ca_file /nonexistent/ca.pem: no such file',
    },
  );
});

t.test('deprecations are logged once as WARN config.deprecated, and printed by vigil config check', async (t) => {
  const config = resolve({ redis: { targets: [{ name: 'c', url: 'rediss://c:6380', tls_ca_file: '/ca.pem', tls_insecure_skip_verify: false }] } });
  const logs = captureLogs();
  logDeprecations(config, logs.logger);
  t.same(
    logs.lines.map((l) => [l.level, l.event, l.message, l.details]),
    [
      [
        'WARN',
        'config.deprecated',
        'probes.redis.targets.0.tls_ca_file is deprecated: write probes.redis.targets.0.tls.ca_file instead (the old key is removed in the next release)',
        { key: 'probes.redis.targets.0.tls_ca_file', replacement: 'probes.redis.targets.0.tls.ca_file' },
      ],
      [
        'WARN',
        'config.deprecated',
        'probes.redis.targets.0.tls_insecure_skip_verify is deprecated: write probes.redis.targets.0.tls.insecure_skip_verify instead (the old key is removed in the next release)',
        { key: 'probes.redis.targets.0.tls_insecure_skip_verify', replacement: 'probes.redis.targets.0.tls.insecure_skip_verify' },
      ],
    ],
  );
  for (const line of logs.lines) t.same(logLineErrors(line), [], 'a valid log line');

  const dir = t.testdir({
    'old.yaml': 'probes:\n  postgres:\n    targets:\n      - url: postgres://db/app?sslmode=verify-full\n        ssl_ca_file: /etc/ssl/ca.pem\n',
    'new.yaml': 'probes:\n  postgres:\n    targets:\n      - url: postgres://db/app\n        tls: {ca_file: /etc/ssl/ca.pem}\n',
  });
  const cli = async (file: string) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli({
      argv: ['config', 'check', `${dir}/${file}`],
      env: {},
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      isTty: false,
      kinds: PROBE_KINDS,
    });
    return { code, stdout, stderr };
  };
  const old = await cli('old.yaml');
  t.equal(old.code, 0, 'still valid');
  t.match(old.stdout, /valid \(4 probes: disk, memory, cpu, postgres\/db:5432\)/);
  t.equal(
    old.stderr,
    'vigil: warning: probes.postgres.targets.0.ssl_ca_file is deprecated: write probes.postgres.targets.0.tls.ca_file instead (the old key is removed in the next release)\n',
  );
  const now = await cli('new.yaml');
  t.equal(now.code, 0);
  t.equal(now.stderr, '', 'nothing to warn about');
});

t.test('the agent logs each deprecation once, as it starts', async (t) => {
  const config = resolveConfig(
    {
      http: { host: '127.0.0.1', port: await freePort(), drain_delay: '1ms' },
      probes: {
        disk: { enabled: false },
        memory: { enabled: false },
        cpu: { enabled: false },
        postgres: { interval: '1h', targets: [{ name: 'old', url: 'postgres://127.0.0.1:1/x?sslmode=verify-full', ssl_ca_file: '/ca.pem' }] },
      },
    },
    null,
    {},
    PROBE_SECTIONS,
  );
  const logs = captureLogs('info');
  const agent = new Agent(config, PROBE_KINDS, logs.logger, {});
  t.teardown(() => agent.shutdown('test over'));
  await agent.start();
  const warned = logs.lines.filter((l) => l.event === 'config.deprecated');
  t.match(warned, [
    { level: 'WARN', message: /^probes\.postgres\.targets\.0\.ssl_ca_file is deprecated: write probes\.postgres\.targets\.0\.tls\.ca_file instead/ },
  ]);
  t.ok(logs.lines.findIndex((l) => l.event === 'config.deprecated') < logs.lines.findIndex((l) => l.event === 'agent.started'), 'before agent.started');
});
