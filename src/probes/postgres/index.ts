// The `postgres` probe kind: one instance per configured server (probes.postgres.targets and
// VIGIL_POSTGRES_URL).
import { defineProbeKind } from '../kind.ts';
import { postgresSchema, resolvePostgres, type PostgresOptions, type PostgresSection } from './config.ts';
import { PostgresProbe } from './probe.ts';

export const postgresKind = defineProbeKind<PostgresSection, PostgresOptions>({
  key: 'postgres',
  description: 'PostgreSQL servers: reachability, connections, replication lag, long transactions, lock waits (one persistent connection each)',
  schema: postgresSchema,
  resolve: resolvePostgres,
  create: (settings, ctx) => new PostgresProbe(settings, ctx),
});

export type { PostgresOptions } from './config.ts';
export { PostgresProbe } from './probe.ts';
