// The `redis` probe kind: one instance per configured server (probes.redis.targets and
// VIGIL_REDIS_URL).
import { defineProbeKind } from '../kind.ts';
import type { RedisOptions, RedisSection } from './config.ts';
import { REDIS } from './metadata.ts';
import { RedisProbe } from './probe.ts';

export const redisKind = defineProbeKind<RedisSection, RedisOptions>({
  ...REDIS,
  config: async () => (await import('./config.ts')).redisConfig,
  create: (settings, ctx) => new RedisProbe(settings, ctx),
});

export type { RedisOptions } from './config.ts';
export { RedisProbe } from './probe.ts';
