// The `backups` probe kind: one instance judging every rule; none without rules.
import { defineProbeKind, lazyProbe } from '../kind.ts';
import type { BackupsOptions, BackupsSection } from './config.ts';
import { BACKUPS } from './metadata.ts';

export const backupsKind = defineProbeKind<BackupsSection, BackupsOptions>({
  ...BACKUPS,
  config: async () => (await import('./config.ts')).backupsConfig,
  create: lazyProbe(BACKUPS, async () => (await import('./probe.ts')).BackupsProbe),
});

export type { BackupsOptions } from './config.ts';
