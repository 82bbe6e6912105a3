// The `probes.cpu` section: host utilization and cgroup throttling thresholds.
import { z } from 'zod';
import { commonProbeFields } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { cpuThrottlingCheck, cpuUtilizationCheck } from './metadata.ts';
import type { KindConfig } from '../kind.ts';
import { singleInstance } from '../../config/probe-config.ts';
import { CPU } from './metadata.ts';

export const cpuSchema = z.strictObject({
  ...commonProbeFields,
  thresholds: ladderField(cpuUtilizationCheck),
  throttling_thresholds: ladderField(cpuThrottlingCheck),
});

export type CpuSection = z.infer<typeof cpuSchema>;

export interface CpuOptions {
  readonly thresholds: Thresholds;
  readonly throttlingThresholds: Thresholds;
}

export function resolveCpuOptions(section: CpuSection | undefined): CpuOptions {
  return Object.freeze({
    thresholds: resolveLadder(cpuUtilizationCheck, section?.thresholds),
    throttlingThresholds: resolveLadder(cpuThrottlingCheck, section?.throttling_thresholds),
  });
}

/** The `probes.cpu` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const cpuConfig: KindConfig<CpuSection, CpuOptions> = { schema: cpuSchema, resolve: singleInstance(CPU.key, resolveCpuOptions) };
