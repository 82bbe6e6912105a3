// The `disk` probe kind: one instance watching every selected mount.
import { defineProbeKind, singleInstance } from '../kind.ts';
import { diskSchema, resolveDiskOptions, type DiskOptions, type DiskSection } from './config.ts';
import { DISK } from './metadata.ts';
import { DiskProbe } from './probe.ts';

export const diskKind = defineProbeKind<DiskSection, DiskOptions>({
  ...DISK,
  schema: diskSchema,
  resolve: singleInstance(DISK.key, resolveDiskOptions),
  create: (settings, ctx) => new DiskProbe(settings, ctx),
});

export type { DiskOptions } from './config.ts';
export { DiskProbe } from './probe.ts';
