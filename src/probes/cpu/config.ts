// The `probes.cpu` section: host utilization and cgroup throttling thresholds.
import { z } from 'zod';
import { commonProbeFields } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ascendingPercents, percentLadder, specDefaults, type LevelSpec } from '../../config/thresholds.ts';

export const UTILIZATION_LEVELS = [
  { key: 'warn', status: 'warn', severity: 'SEV3', default: 75 },
  { key: 'fail', status: 'fail', severity: 'SEV2', default: 85 },
] as const satisfies readonly LevelSpec<'warn' | 'fail'>[];

/** No fail level by default: throttling slows a container down, it does not break it. */
export const THROTTLING_LEVELS = [
  { key: 'warn', status: 'warn', severity: 'SEV4', default: 25 },
  { key: 'fail', status: 'fail', severity: 'SEV3' },
] as const satisfies readonly LevelSpec<'warn' | 'fail'>[];

export const cpuSchema = z.strictObject({
  ...commonProbeFields,
  thresholds: ascendingPercents(['warn', 'fail'], specDefaults(UTILIZATION_LEVELS))
    .optional()
    .describe('Host CPU busy over the last interval, percent: warn (SEV3, default 75), fail (SEV2, default 85)'),
  throttling_thresholds: ascendingPercents(['warn', 'fail'], specDefaults(THROTTLING_LEVELS))
    .optional()
    .describe('CFS periods throttled over the last interval, percent: warn (SEV4, default 25), fail (SEV3, off unless set)'),
});

export type CpuSection = z.infer<typeof cpuSchema>;

export interface CpuOptions {
  readonly thresholds: Thresholds;
  readonly throttlingThresholds: Thresholds;
}

export function resolveCpuOptions(section: CpuSection | undefined): CpuOptions {
  return Object.freeze({
    thresholds: percentLadder(section?.thresholds, UTILIZATION_LEVELS),
    throttlingThresholds: percentLadder(section?.throttling_thresholds, THROTTLING_LEVELS),
  });
}
