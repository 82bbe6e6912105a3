// The `disk` probe kind: one instance watching every selected mount.
import { resolveSchedule } from '../../config/common.ts';
import { defineProbeKind } from '../kind.ts';
import { diskSchema, resolveDiskOptions, type DiskOptions, type DiskSection } from './config.ts';
import { DiskProbe } from './probe.ts';

export const diskKind = defineProbeKind<DiskSection, DiskOptions>({
  key: 'disk',
  description: 'Space, inodes and read-only remounts of the host filesystems (statfs of every real mount)',
  schema: diskSchema,
  resolve({ section, defaults }, report) {
    const schedule = resolveSchedule(section, defaults);
    if (!schedule.enabled) return [];
    return [Object.freeze({ kind: 'disk', name: 'disk', schedule, options: resolveDiskOptions(section, schedule, report) })];
  },
  create: (settings, ctx) => new DiskProbe(settings, ctx),
});

export type { DiskOptions } from './config.ts';
export { DiskProbe } from './probe.ts';
