// The `backups` probe kind: one instance judging every rule; none without rules.
import { defineProbeKind } from '../kind.ts';
import type { BackupsOptions, BackupsSection } from './config.ts';
import { BACKUPS } from './metadata.ts';
import { BackupsProbe } from './probe.ts';

export const backupsKind = defineProbeKind<BackupsSection, BackupsOptions>({
  ...BACKUPS,
  config: async () => (await import('./config.ts')).backupsConfig,
  create: (settings, ctx) => new BackupsProbe(settings, ctx),
});

export type { BackupsOptions } from './config.ts';
export { BackupsProbe } from './probe.ts';
