// The `disk` probe kind: one instance watching every selected mount.
import { defineProbeKind } from '../kind.ts';
import type { DiskOptions, DiskSection } from './config.ts';
import { DISK } from './metadata.ts';
import { DiskProbe } from './probe.ts';

export const diskKind = defineProbeKind<DiskSection, DiskOptions>({
  ...DISK,
  config: async () => (await import('./config.ts')).diskConfig,
  create: (settings, ctx) => new DiskProbe(settings, ctx),
});

export type { DiskOptions } from './config.ts';
export { DiskProbe } from './probe.ts';
