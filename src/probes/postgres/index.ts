// The `postgres` probe kind: one instance per configured server (probes.postgres.targets and
// VIGIL_POSTGRES_URL).
import { defineProbeKind, lazyProbe } from '../kind.ts';
import type { PostgresOptions, PostgresSection } from './config.ts';
import { POSTGRES } from './metadata.ts';

export const postgresKind = defineProbeKind<PostgresSection, PostgresOptions>({
  ...POSTGRES,
  config: async () => (await import('./config.ts')).postgresConfig,
  create: lazyProbe(POSTGRES, async () => (await import('./probe.ts')).PostgresProbe),
});

export type { PostgresOptions } from './config.ts';
