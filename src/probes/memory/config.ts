// The `probes.memory` section: host and container (cgroup) memory thresholds.
import { z } from 'zod';
import { commonProbeFields } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ascendingPercents, percentLadder, specDefaults, type LevelSpec } from '../../config/thresholds.ts';

export const MEMORY_LEVELS = [
  { key: 'warn', status: 'warn', severity: 'SEV3', default: 80 },
  { key: 'fail', status: 'fail', severity: 'SEV2', default: 90 },
] as const satisfies readonly LevelSpec<'warn' | 'fail'>[];

const levels = () => ascendingPercents(['warn', 'fail'], specDefaults(MEMORY_LEVELS));

export const memorySchema = z.strictObject({
  ...commonProbeFields,
  thresholds: levels().optional().describe('Host memory used (1 − MemAvailable/MemTotal), percent: warn (SEV3, default 80), fail (SEV2, default 90)'),
  container_thresholds: levels()
    .optional()
    .describe('Container working set over its cgroup memory limit, percent: warn (SEV3, default 80), fail (SEV2, default 90)'),
});

export type MemorySection = z.infer<typeof memorySchema>;

export interface MemoryOptions {
  readonly thresholds: Thresholds;
  readonly containerThresholds: Thresholds;
}

export function resolveMemoryOptions(section: MemorySection | undefined): MemoryOptions {
  return Object.freeze({
    thresholds: percentLadder(section?.thresholds, MEMORY_LEVELS),
    containerThresholds: percentLadder(section?.container_thresholds, MEMORY_LEVELS),
  });
}
