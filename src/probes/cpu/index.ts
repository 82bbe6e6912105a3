// The `cpu` probe kind: one instance for the host (and its own cgroup's CFS throttling).
import { defineProbeKind } from '../kind.ts';
import type { CpuOptions, CpuSection } from './config.ts';
import { CPU } from './metadata.ts';
import { CpuProbe } from './probe.ts';

export const cpuKind = defineProbeKind<CpuSection, CpuOptions>({
  ...CPU,
  config: async () => (await import('./config.ts')).cpuConfig,
  create: (settings, ctx) => new CpuProbe(settings, ctx),
});

export type { CpuOptions } from './config.ts';
export { CpuProbe } from './probe.ts';
