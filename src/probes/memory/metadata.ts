// The memory probe kind's facts: metrics (container series named as cAdvisor's) and checks
// with their default ladders (runbooks: memory < 80 % sustained; AENEAS and ALECS 80/90).
import { gauge } from '../../metrics/family.ts';
import { defineCheck, type LadderSpec } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';

export const memoryTotal = gauge('vigil_memory_total_bytes', 'Host memory size (MemTotal) in bytes.');
export const memoryAvailable = gauge('vigil_memory_available_bytes', 'Memory available for new work without swapping (MemAvailable) in bytes.');
export const memoryFree = gauge('vigil_memory_free_bytes', 'Unused memory (MemFree) in bytes.');
export const memoryBuffers = gauge('vigil_memory_buffers_bytes', 'Block device buffers (Buffers) in bytes.');
export const memoryCached = gauge('vigil_memory_cached_bytes', 'Page cache (Cached) in bytes.');
export const memorySwapTotal = gauge('vigil_memory_swap_total_bytes', 'Swap size (SwapTotal) in bytes.');
export const memorySwapFree = gauge('vigil_memory_swap_free_bytes', 'Unused swap (SwapFree) in bytes.');
export const containerUsage = gauge('vigil_container_memory_usage_bytes', 'Memory charged to the cgroup, page cache included, in bytes.');
export const containerWorkingSet = gauge(
  'vigil_container_memory_working_set_bytes',
  'Cgroup memory usage minus inactive file cache in bytes (what the kubelet evicts and OOM-kills on).',
);
export const containerLimit = gauge('vigil_container_memory_limit_bytes', 'Cgroup memory limit in bytes (absent when unlimited).');

const MEMORY_METRICS = [
  memoryTotal,
  memoryAvailable,
  memoryFree,
  memoryBuffers,
  memoryCached,
  memorySwapTotal,
  memorySwapFree,
  containerUsage,
  containerWorkingSet,
  containerLimit,
] as const;

const usedLadder = (config: string, measures: string): LadderSpec => ({
  config,
  direction: 'above',
  values: 'percent',
  measures,
  levels: [
    { key: 'warn', status: 'warn', severity: 'SEV3', default: 80 },
    { key: 'fail', status: 'fail', severity: 'SEV2', default: 90 },
  ],
});

export const memoryUtilization = defineCheck({
  id: 'memory:utilization',
  componentType: 'system',
  component: '`host`',
  unit: 'percent',
  playbook: 'High Memory Usage',
  failSeverity: 'SEV2',
  description: '% used: 1 − MemAvailable / MemTotal',
  ladder: usedLadder('thresholds', 'Host memory used (1 − MemAvailable/MemTotal), percent'),
});

export const memoryContainerUtilization = defineCheck({
  id: 'memory:container_utilization',
  componentType: 'system',
  component: '`container`',
  unit: 'percent',
  playbook: 'High Memory Usage',
  failSeverity: 'SEV2',
  description: 'working set (usage − inactive file) / cgroup limit, only when limited',
  ladder: usedLadder('container_thresholds', 'Container working set over its cgroup memory limit, percent'),
});

export const MEMORY = defineMetadata({
  key: 'memory',
  description: 'Host memory use from /proc/meminfo, and the container working set against its cgroup limit',
  env: [],
  metrics: MEMORY_METRICS,
  checks: [memoryUtilization, memoryContainerUtilization],
});
