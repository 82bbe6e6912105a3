// Cluster mode end to end: the agent started with deploy/kubernetes/cluster.yaml's config (host
// probes switched off there), its targets pointed at real PostgreSQL, Redis and Kafka servers.
// It must report those targets and nothing of the host it runs on.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { freePort } from '../bench/lib.ts';
import { spawnAgent, waitFor } from './helpers.ts';
import { brokerFor, kafkaVersions } from './kafka/broker.ts';
import { anyPostgres } from './servers/postgres.ts';
import { anyRedis } from './servers/redis.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

t.test('the cluster agent probes only its datastore targets', async (t) => {
  const objects = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/cluster.yaml'), 'utf8')).map((d) => d.toJS()) as any[];
  const config = parse(objects.find((o) => o.kind === 'ConfigMap').data['vigil.yaml']) as any;
  for (const kind of ['disk', 'memory', 'cpu']) t.equal(config.probes[kind].enabled, false, `cluster.yaml switches ${kind} off`);

  const [pg, redis, broker] = await Promise.all([anyPostgres(t), anyRedis(t), brokerFor(t, kafkaVersions()[0]!)]);
  // The shipped config, with its example targets replaced by the real servers.
  config.probes.postgres.targets = [{ name: 'orders', url: pg.url() }];
  config.probes.redis.targets = [{ name: 'sessions', url: redis.url() }];
  config.probes.kafka.targets = [{ name: 'events', brokers: [broker.bootstrap] }];
  config.defaults = { ...config.defaults, interval: '2s', timeout: '1500ms' };
  config.http = { ...config.http, drain_delay: '1s' };
  const dir = t.testdir({});
  writeFileSync(join(dir, 'vigil.yaml'), stringify(config));

  const port = await freePort();
  const agent = spawnAgent(port, ['--config', join(dir, 'vigil.yaml')], { NODE_NAME: 'cluster-e2e' });
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });
  await waitFor(async () => (await fetch(`${agent.base}/ready`).catch(() => null))?.status === 200, 30_000, 100);

  const started = agent.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'agent.started');
  t.same(started?.details.probes, ['postgres/orders', 'redis/sessions', 'kafka/events'], 'only the datastore probes run');

  // Every probe has completed successfully at least once.
  const metrics = async () => (await fetch(`${agent.base}/metrics`)).text();
  await waitFor(async () => (await metrics()).match(/^vigil_probe_success\{[^}]*\} 1$/gm)?.length === 3, 30_000, 200).catch(() => {});
  const text = await metrics();
  const probes = [...text.matchAll(/^vigil_probe_success\{probe="([^"]+)"[^}]*\} (\d)$/gm)].map((m) => `${m[1]}=${m[2]}`).sort();
  t.same(probes, ['kafka/events=1', 'postgres/orders=1', 'redis/sessions=1']);
  t.notMatch(text, /^vigil_(filesystem|memory|cpu|container)_\w+(\{|\s)/m, 'no host or container series');

  const detailed = (await (await fetch(`${agent.base}/health/detailed`)).json()) as { checks: Record<string, unknown[]> };
  const kinds = new Set(Object.keys(detailed.checks).map((check) => check.split(':')[0]));
  t.same([...kinds].sort(), ['kafka', 'postgres', 'redis'], `checks: ${Object.keys(detailed.checks).join(', ')}`);

  agent.child.kill('SIGTERM');
  t.equal(await agent.exit, 0, 'exit 0 on SIGTERM');
});
