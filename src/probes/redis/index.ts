// The `redis` probe kind: one instance per configured server (probes.redis.targets and
// VIGIL_REDIS_URL).
import { defineProbeKind } from '../kind.ts';
import { redisSchema, resolveRedis, type RedisOptions, type RedisSection } from './config.ts';
import { RedisProbe } from './probe.ts';

export const redisKind = defineProbeKind<RedisSection, RedisOptions>({
  key: 'redis',
  description: 'Redis servers: PING latency, memory, clients, hit ratio, evictions, replication link, persistence (one persistent connection each)',
  schema: redisSchema,
  resolve: resolveRedis,
  create: (settings, ctx) => new RedisProbe(settings, ctx),
});

export type { RedisOptions } from './config.ts';
export { RedisProbe } from './probe.ts';
