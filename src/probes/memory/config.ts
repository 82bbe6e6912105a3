// The `probes.memory` section: host and container (cgroup) memory thresholds.
import { z } from 'zod';
import { commonProbeFields } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { memoryContainerUtilization, memoryUtilization } from './metadata.ts';
import type { KindConfig } from '../kind.ts';
import { singleInstance } from '../../config/probe-config.ts';
import { MEMORY } from './metadata.ts';

export const memorySchema = z.strictObject({
  ...commonProbeFields,
  thresholds: ladderField(memoryUtilization),
  container_thresholds: ladderField(memoryContainerUtilization),
});

export type MemorySection = z.infer<typeof memorySchema>;

export interface MemoryOptions {
  readonly thresholds: Thresholds;
  readonly containerThresholds: Thresholds;
}

export function resolveMemoryOptions(section: MemorySection | undefined): MemoryOptions {
  return Object.freeze({
    thresholds: resolveLadder(memoryUtilization, section?.thresholds),
    containerThresholds: resolveLadder(memoryContainerUtilization, section?.container_thresholds),
  });
}

/** The `probes.memory` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const memoryConfig: KindConfig<MemorySection, MemoryOptions> = { schema: memorySchema, resolve: singleInstance(MEMORY.key, resolveMemoryOptions) };
