// The `memory` probe kind: one instance for the host (and its own cgroup).
import { defineProbeKind } from '../kind.ts';
import type { MemoryOptions, MemorySection } from './config.ts';
import { MEMORY } from './metadata.ts';
import { MemoryProbe } from './probe.ts';

export const memoryKind = defineProbeKind<MemorySection, MemoryOptions>({
  ...MEMORY,
  config: async () => (await import('./config.ts')).memoryConfig,
  create: (settings, ctx) => new MemoryProbe(settings, ctx),
});

export type { MemoryOptions } from './config.ts';
export { MemoryProbe } from './probe.ts';
