// The `memory` probe kind: one instance for the host (and its own cgroup).
import { defineProbeKind, singleInstance } from '../kind.ts';
import { memorySchema, resolveMemoryOptions, type MemoryOptions, type MemorySection } from './config.ts';
import { MemoryProbe } from './probe.ts';

export const memoryKind = defineProbeKind<MemorySection, MemoryOptions>({
  key: 'memory',
  description: 'Host memory use from /proc/meminfo, and the container working set against its cgroup limit',
  schema: memorySchema,
  resolve: singleInstance('memory', resolveMemoryOptions),
  create: (settings, ctx) => new MemoryProbe(settings, ctx),
});

export type { MemoryOptions } from './config.ts';
export { MemoryProbe } from './probe.ts';
