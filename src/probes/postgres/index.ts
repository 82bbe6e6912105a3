// The `postgres` probe kind: one instance per configured server (probes.postgres.targets and
// VIGIL_POSTGRES_URL).
import { defineProbeKind } from '../kind.ts';
import type { PostgresOptions, PostgresSection } from './config.ts';
import { POSTGRES } from './metadata.ts';
import { PostgresProbe } from './probe.ts';

export const postgresKind = defineProbeKind<PostgresSection, PostgresOptions>({
  ...POSTGRES,
  config: async () => (await import('./config.ts')).postgresConfig,
  create: (settings, ctx) => new PostgresProbe(settings, ctx),
});

export type { PostgresOptions } from './config.ts';
export { PostgresProbe } from './probe.ts';
