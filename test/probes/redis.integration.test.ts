// The redis probe through the real agent against real servers: a managed-style one (CONFIG
// disabled, a least-privilege ACL user), TLS with a certificate made here, correct figures, no
// secret anywhere, and no command caused by HTTP requests.
import t from 'tap';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ownRedis, serverInfo } from '../servers/redis.ts';
import { captureSpans, metricValue, spansText, startAgent } from '../servers/agent.ts';
import { waitFor } from '../helpers.ts';
import { selfSignedLoopback } from './certificates-openssl.ts';

const spans = await captureSpans();
const ACL = '+ping +info +client|setname';

t.test('a managed-style server: CONFIG disabled, ACL user with only PING and INFO; figures match INFO', async (t) => {
  const secret = `pw-${Math.random().toString(36).slice(2)}-Rk7`;
  const server = await ownRedis(t, {
    config: ['rename-command CONFIG ""', `user vigil on >${secret} ${ACL}`, 'maxmemory 4mb', 'maxmemory-policy allkeys-lru', 'maxclients 20', 'appendonly yes'],
  });
  await t.rejects(server.command('CONFIG', 'GET', 'maxmemory'), /unknown command/i, 'CONFIG is disabled on this server');
  const dir = t.testdir({ pw: `${secret}\n` });
  const agent = await startAgent(t, {
    redis: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'main', url: server.url('vigil', secret), critical: true, thresholds: { evicted_keys: { warn: 1 } } },
        { name: 'filed', url: server.url('vigil'), password_file: join(dir, 'pw') },
      ],
    },
  });
  await agent.until('redis:reachable', 'main', 'pass', 20_000);
  await agent.until('redis:reachable', 'filed', 'pass', 20_000);
  t.equal((await agent.get('/ready')).status, 200);

  // The ACL really is that narrow.
  const asVigil = new Redis({ host: server.host, port: server.port, username: 'vigil', password: secret, lazyConnect: true, retryStrategy: () => null });
  asVigil.on('error', () => undefined);
  await asVigil.connect();
  await t.rejects(asVigil.get('x'), /NOPERM/, 'the vigil user cannot read keys');
  asVigil.disconnect();

  const clients = (await server.command('CLIENT', 'LIST')) as string;
  t.equal(clients.split('\n').filter((l) => / name=vigil:main /.test(l)).length, 1, 'one connection named vigil:main');

  // Capacity from INFO (maxmemory, maxclients), not CONFIG.
  let text = (await agent.get('/metrics')).body;
  let info = await serverInfo(server);
  t.equal(metricValue(text, 'vigil_redis_memory_max_bytes', { target: 'main' }), Number(info.get('maxmemory')), 'maxmemory from INFO');
  t.equal(metricValue(text, 'vigil_redis_config_maxclients', { target: 'main' }), 20, 'maxclients from INFO');
  t.equal(metricValue(text, 'vigil_redis_up', { target: 'main' }), 1);
  t.equal(metricValue(text, 'vigil_redis_aof_enabled', { target: 'main' }), 1);
  t.equal((await agent.check('redis:aof', 'main'))?.status, 'pass', 'AOF writes ok');

  // Hit ratio over one interval: a burst of 200 hits and 100 misses in one pipeline.
  const admin = await server.admin();
  t.teardown(() => admin.disconnect());
  await admin.set('present', '1');
  const hitsBefore = metricValue(text, 'vigil_redis_keyspace_hits_total', { target: 'main' }) ?? 0;
  const burst = admin.pipeline();
  for (let i = 0; i < 200; i++) burst.get('present');
  for (let i = 0; i < 100; i++) burst.get(`absent-${i}`);
  await burst.exec();
  await waitFor(
    async () => (metricValue((text = (await agent.get('/metrics')).body), 'vigil_redis_keyspace_hits_total', { target: 'main' }) ?? 0) >= hitsBefore + 200,
    10_000,
    50,
  );
  const ratio = await agent.check('redis:hit_ratio', 'main');
  t.equal(ratio?.observedValue, 66.67, `hit ratio of the interval: ${ratio?.output}`);
  t.equal(ratio?.status, 'warn', 'below 70 %: warn');
  t.equal(ratio?.severity, 'SEV4');
  t.equal(ratio?.playbook, 'Cache Performance Problems');
  await waitFor(async () => (await agent.check('redis:hit_ratio', 'main'))?.observedValue === null, 10_000, 50);
  t.pass('next interval without lookups: not evaluated (the lifetime ratio is not used)');
  info = await serverInfo(server);
  text = (await agent.get('/metrics')).body;
  t.equal(metricValue(text, 'vigil_redis_keyspace_hits_total', { target: 'main' }), Number(info.get('keyspace_hits')), 'hits = INFO keyspace_hits');
  t.equal(metricValue(text, 'vigil_redis_keyspace_misses_total', { target: 'main' }), Number(info.get('keyspace_misses')), 'misses = INFO keyspace_misses');
  const used = metricValue(text, 'vigil_redis_memory_used_bytes', { target: 'main' }) ?? 0;
  const usedNow = Number(info.get('used_memory'));
  // Our own reading connections' buffers account for the difference (tens of KiB).
  t.ok(Math.abs(used - usedNow) < 128 * 1024, `used memory ${used} within 128 KiB of INFO used_memory ${usedNow}`);

  // Fill past maxmemory: evictions in the interval, memory near the limit.
  const fill = admin.pipeline();
  const value = 'x'.repeat(2048);
  for (let i = 0; i < 3000; i++) fill.set(`fill-${i}`, value);
  await fill.exec();
  await agent.until('redis:evicted_keys', 'main', 'warn', 10_000);
  const evicted = await agent.check('redis:evicted_keys', 'main');
  t.ok((evicted?.observedValue as number) > 0, `evictions seen: ${evicted?.output}`);
  const memory = await agent.check('redis:memory', 'main');
  t.ok((memory?.observedValue as number) > 80, `memory near maxmemory: ${memory?.output}`);

  // Clients: fill maxclients (20) until one is rejected.
  const extra: Redis[] = [];
  t.teardown(() => {
    for (const c of extra) c.disconnect();
  });
  for (let i = 0; i < 22; i++) {
    const c = new Redis({ host: server.host, port: server.port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => undefined);
    extra.push(c);
    await c
      .connect()
      .then(() => c.ping())
      .catch(() => undefined);
  }
  await agent.until('redis:rejected_connections', 'main', 'warn', 10_000);
  t.match(await agent.check('redis:rejected_connections', 'main'), { status: 'warn', severity: 'SEV3' });
  await agent.until('redis:clients', 'main', 'fail', 10_000);
  t.match((await agent.check('redis:clients', 'main'))?.output, /of maxclients connected.*, \d+ of 20$/);
  for (const c of extra) c.disconnect();

  // Backup verification: a BGSAVE, then the save age resets.
  await admin.bgsave();
  await waitFor(async () => (await serverInfo(server, 'persistence')).get('rdb_bgsave_in_progress') === '0', 10_000, 50);
  await waitFor(async () => ((await agent.check('redis:rdb_save_age', 'main'))?.observedValue as number) <= 2, 10_000, 50);
  t.equal((await agent.check('redis:rdb_bgsave', 'main'))?.status, 'pass');

  const everything = `${await agent.outputs()}\n${spansText(spans)}`;
  t.notOk(everything.includes(secret), 'the password appears nowhere');
  const pings = spans.getFinishedSpans().filter((s) => s.name === 'PING' && s.attributes['vigil.target'] === 'main');
  t.ok(pings.length > 0 && spans.getFinishedSpans().some((s) => s.name === 'INFO'), 'PING and INFO spans');
  t.match(pings[0]?.attributes, { 'db.system.name': 'redis', 'server.address': server.host, 'server.port': server.port, 'vigil.target': 'main' });
});

t.test('TLS (rediss://) with a CA file; an unknown certificate fails the check; the tls: block and its former keys', async (t) => {
  const dir = t.testdir();
  const { cert, key } = selfSignedLoopback(dir);
  const server = await ownRedis(t, { tls: { cert, key, ca: cert } });
  const agent = await startAgent(t, {
    redis: {
      interval: '1s',
      failure_threshold: 1,
      targets: [
        { name: 'tls', url: server.url(), tls_ca_file: cert },
        { name: 'untrusted', url: server.url() },
        { name: 'block', url: server.url(), tls: { ca_file: cert } },
        { name: 'named', url: server.url(), tls: { ca_file: cert, server_name: 'other.vigil.test' } },
        { name: 'skip-verify', url: server.url(), tls: { insecure_skip_verify: true } },
        { name: 'skip-verify-former', url: server.url(), tls_insecure_skip_verify: true },
      ],
    },
  });
  t.match(server.url(), /^rediss:\/\//);
  await agent.until('redis:reachable', 'tls', 'pass', 20_000);
  await agent.until('redis:reachable', 'untrusted', 'fail', 20_000);
  t.match((await agent.check('redis:reachable', 'untrusted'))?.output, /self[- ]signed certificate/);
  for (const name of ['block', 'skip-verify', 'skip-verify-former']) await agent.until('redis:reachable', name, 'pass', 20_000);
  await agent.until('redis:reachable', 'named', 'fail', 20_000);
  t.match((await agent.check('redis:reachable', 'named'))?.output, /other\.vigil\.test/, 'the certificate is checked against server_name');
  const clients = String(await server.command('CLIENT', 'LIST'));
  for (const name of ['tls', 'block', 'skip-verify', 'skip-verify-former']) t.match(clients, `name=vigil:${name} `, `${name} is connected`);
  t.equal((await agent.get('/ready')).status, 200, 'neither target is critical');
});

t.test('1,000 requests to /ready and /health/detailed send no command to Redis', async (t) => {
  const server = await ownRedis(t);
  const agent = await startAgent(t, { redis: { interval: '1h', targets: [{ name: 'amp', url: server.url() }] } });
  await agent.until('redis:reachable', 'amp', 'pass', 20_000);
  const commands = async () => Number((await serverInfo(server, 'stats')).get('total_commands_processed'));
  const before = await commands();
  const statuses = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    statuses.add((await agent.get('/ready')).status);
    statuses.add((await agent.get('/health/detailed')).status);
  }
  const after = await commands();
  t.same([...statuses], [200]);
  // Our own first INFO is counted by the second read, and nothing else.
  t.equal(after - before, 1, `total_commands_processed ${before} → ${after}: only our own INFO`);
});
