// Config of the datastore probes: targets from the file and the environment, names, URLs and
// secrets and thresholds.
import t from 'tap';
import { BUILTIN_SCHEDULE } from '../../src/config/common.ts';
import { resolveConfig } from '../../src/config/load.ts';
import type { PostgresOptions } from '../../src/probes/postgres/index.ts';
import type { RedisOptions } from '../../src/probes/redis/index.ts';
import { parseInfo } from '../../src/probes/redis/client.ts';
import type { KindConfig, ProbeSettings } from '../../src/probes/kind.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';
import { postgresConfig } from '../../src/probes/postgres/config.ts';
import { redisConfig } from '../../src/probes/redis/config.ts';

function resolve<Raw, O>(kind: KindConfig<Raw, O>, section: unknown, env: NodeJS.ProcessEnv = {}) {
  const problems: string[] = [];
  const out = kind.resolve({ section: kind.schema.parse(section), defaults: BUILTIN_SCHEDULE, env }, (p, m) => problems.push(`${p}: ${m}`));
  return { out, problems };
}

t.test('postgres targets: URL parts, names, env list, timeouts and thresholds', async (t) => {
  const { out, problems } = resolve(
    postgresConfig,
    {
      timeout: '2s',
      thresholds: { connections: { warn: 70 } },
      targets: [
        {
          name: 'orders',
          url: 'postgres://vigil:p%40ss@db.internal:6543/orders?sslmode=verify-full',
          critical: true,
          thresholds: { replication_lag: { warn: 2 } },
        },
        { url: 'postgresql://monitor@10.0.0.5/app', password_file: '/var/run/secrets/pg/password', statement_timeout: '1s' },
      ],
    },
    { VIGIL_POSTGRES_URL: 'postgres://a:secret@pg-a:5432/x, postgres://b@pg-b:5433/y' },
  );
  t.same(problems, []);
  t.same(
    out.map((s) => s.name),
    ['postgres/orders', 'postgres/10.0.0.5:5432', 'postgres/pg-a:5432', 'postgres/pg-b:5433'],
  );
  const [orders, second, envA] = out.map((s) => s.options) as PostgresOptions[];
  t.match(orders, {
    host: 'db.internal',
    port: 6543,
    user: 'vigil',
    database: 'orders',
    urlPassword: 'p@ss',
    sslMode: 'verify-full',
    applicationName: 'vigil:orders',
  });
  t.equal(orders?.display, 'postgres://vigil:***@db.internal:6543/orders', 'redacted, query dropped');
  t.equal(orders?.connectTimeoutMs, 1600, "80 % of the probe's timeout");
  t.same(
    orders?.thresholds.connections.levels.map((l) => l.at),
    [70, 90],
    "the section's thresholds apply",
  );
  t.same(
    orders?.thresholds.replicationLag.levels.map((l) => [l.status, l.at, l.severity]),
    [
      ['warn', 2, 'SEV3'],
      ['fail', 5, 'SEV2'],
    ],
  );
  t.match(second, {
    host: '10.0.0.5',
    port: 5432,
    user: 'monitor',
    database: 'app',
    passwordFile: '/var/run/secrets/pg/password',
    statementTimeoutMs: 1000,
    sslMode: 'disable',
  });
  t.equal(envA?.urlPassword, 'secret');
  t.notMatch(JSON.stringify(out.map((s) => ({ name: s.name, display: (s.options as PostgresOptions).display }))), /secret|p@ss|p%40ss/);
});

t.test('postgres: bad URLs and timeouts are reported without echoing the URL', async (t) => {
  const bad = resolve(
    postgresConfig,
    { timeout: '1s', targets: [{ name: 'x', url: 'postgres://u:pw@h/db?sslmode=sometimes', statement_timeout: '2s' }] },
    { VIGIL_POSTGRES_URL: 'mysql://u:hunter2@h' },
  );
  t.same(bad.problems, [
    'targets.0.url: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full',
    "targets.0.statement_timeout: must be shorter than the probe's timeout (1s)",
    '(VIGIL_POSTGRES_URL item 1).url: must be a postgres:// URL',
  ]);
  t.throws(() => postgresConfig.schema.parse({ targets: [{ url: 'http://x' }] }));
  t.throws(() => postgresConfig.schema.parse({ targets: [{ url: 'postgres://x', password_file: 3 }] }));
});

t.test('redis targets: TLS, ACL user, db, env list', async (t) => {
  const { out, problems } = resolve(
    redisConfig,
    {
      targets: [
        { name: 'cache', url: 'rediss://vigil:s3cr3t@cache.internal:6380/2', tls_ca_file: '/etc/ca.pem', hit_ratio_min_lookups: 500 },
        { url: 'redis://cache-b', username: 'monitor', password: 'pw' },
      ],
    },
    { VIGIL_REDIS_URL: 'redis://:only-pass@r1:7000' },
  );
  t.same(problems, []);
  t.same(
    out.map((s) => s.name),
    ['redis/cache', 'redis/cache-b:6379', 'redis/r1:7000'],
  );
  const [cache, b, env] = out.map((s) => s.options) as RedisOptions[];
  t.match(cache, {
    host: 'cache.internal',
    port: 6380,
    db: 2,
    username: 'vigil',
    urlPassword: 's3cr3t',
    tls: { caFile: '/etc/ca.pem', insecure: false },
    minLookups: 500,
    connectionName: 'vigil:cache',
  });
  t.equal(cache?.display, 'rediss://vigil:***@cache.internal:6380/2');
  t.match(b, { username: 'monitor', password: 'pw', tls: null, minLookups: 100 });
  t.match(env, { username: undefined, urlPassword: 'only-pass' });
  t.equal(cache?.thresholds.hitRatio.direction, 'below');
  t.same(
    cache?.thresholds.hitRatio.levels.map((l) => [l.status, l.at]),
    [
      ['warn', 70],
      ['fail', 50],
    ],
  );
  t.same(cache?.thresholds.evicted.levels, [], 'evictions only alert when configured');

  const bad = resolve(redisConfig, { targets: [{ name: 'x', url: 'redis://h/abc', tls_ca_file: '/ca' }] });
  t.same(bad.problems, ['targets.0.url: the path must be a database number, e.g. /0', 'targets.0.url: TLS settings need a rediss:// URL']);
  t.throws(() => redisConfig.schema.parse({ targets: [{ url: 'redis://h', thresholds: { hit_ratio: { warn: 40, fail: 60 } } }] }), /must be less than warn/);
});

t.test('a whole config with both kinds resolves, disabled sections yield nothing', async (t) => {
  const config = resolveConfig(
    { probes: { postgres: { enabled: false, targets: [{ url: 'postgres://h/db' }] }, redis: { interval: '30s', targets: [{ url: 'redis://h' }] } } },
    null,
    {},
    PROBE_SECTIONS,
  );
  t.same(
    config.probes.map((p) => p.name),
    ['disk', 'memory', 'cpu', 'redis/h:6379'],
  );
  t.equal((config.probes[3] as ProbeSettings<RedisOptions>).options.intervalMs, 30_000);
});

t.test('INFO parsing keeps every section', async (t) => {
  const info = parseInfo('# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n');
  t.equal(info.get('redis_version'), '7.0.15');
  t.equal(info.get('db0'), 'keys=1,expires=0');
});

t.test('an env URL that cannot name its target reports the URL problem, not "name is required"', async (t) => {
  t.same(resolve(postgresConfig, {}, { VIGIL_POSTGRES_URL: 'garbage-with-s3cret' }).problems, ['(VIGIL_POSTGRES_URL item 1).url: must be a postgres:// URL']);
  t.same(resolve(redisConfig, {}, { VIGIL_REDIS_URL: 'http://s3cret@cache' }).problems.slice(0, 1), [
    '(VIGIL_REDIS_URL item 1).url: must be a redis:// or rediss:// URL',
  ]);
});
