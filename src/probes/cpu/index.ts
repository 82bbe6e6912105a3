// The `cpu` probe kind: one instance for the host (and its own cgroup's CFS throttling).
import { defineProbeKind, singleInstance } from '../kind.ts';
import { cpuSchema, resolveCpuOptions, type CpuOptions, type CpuSection } from './config.ts';
import { CPU } from './metadata.ts';
import { CpuProbe } from './probe.ts';

export const cpuKind = defineProbeKind<CpuSection, CpuOptions>({
  ...CPU,
  schema: cpuSchema,
  resolve: singleInstance(CPU.key, resolveCpuOptions),
  create: (settings, ctx) => new CpuProbe(settings, ctx),
});

export type { CpuOptions } from './config.ts';
export { CpuProbe } from './probe.ts';
