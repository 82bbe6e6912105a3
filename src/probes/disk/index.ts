// The `disk` probe kind: one instance watching every selected mount.
import { defineProbeKind, singleInstance } from '../kind.ts';
import { diskSchema, resolveDiskOptions, type DiskOptions, type DiskSection } from './config.ts';
import { DiskProbe } from './probe.ts';

export const diskKind = defineProbeKind<DiskSection, DiskOptions>({
  key: 'disk',
  description: 'Space, inodes and read-only remounts of the host filesystems (statfs of every real mount)',
  schema: diskSchema,
  resolve: singleInstance('disk', resolveDiskOptions),
  create: (settings, ctx) => new DiskProbe(settings, ctx),
});

export type { DiskOptions } from './config.ts';
export { DiskProbe } from './probe.ts';
