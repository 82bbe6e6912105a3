// The `redis` probe kind: one instance per configured server (probes.redis.targets and
// VIGIL_REDIS_URL).
import { defineProbeKind, lazyProbe } from '../kind.ts';
import type { RedisOptions, RedisSection } from './config.ts';
import { REDIS } from './metadata.ts';

export const redisKind = defineProbeKind<RedisSection, RedisOptions>({
  ...REDIS,
  config: async () => (await import('./config.ts')).redisConfig,
  create: lazyProbe(REDIS, async () => (await import('./probe.ts')).RedisProbe),
});

export type { RedisOptions } from './config.ts';
