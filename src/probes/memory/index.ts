// The `memory` probe kind: one instance for the host (and its own cgroup).
import { defineProbeKind, singleInstance } from '../kind.ts';
import { memorySchema, resolveMemoryOptions, type MemoryOptions, type MemorySection } from './config.ts';
import { MEMORY } from './metadata.ts';
import { MemoryProbe } from './probe.ts';

export const memoryKind = defineProbeKind<MemorySection, MemoryOptions>({
  ...MEMORY,
  schema: memorySchema,
  resolve: singleInstance(MEMORY.key, resolveMemoryOptions),
  create: (settings, ctx) => new MemoryProbe(settings, ctx),
});

export type { MemoryOptions } from './config.ts';
export { MemoryProbe } from './probe.ts';
