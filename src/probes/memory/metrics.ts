// Metric and check declarations of the memory probe (container series named as cAdvisor's).
import { gauge } from '../../metrics/family.ts';
import type { CheckDecl } from '../types.ts';

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

export const MEMORY_METRICS = [
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

export const memoryUtilization: CheckDecl = Object.freeze({
  id: 'memory:utilization',
  componentType: 'system',
  unit: 'percent',
  playbook: 'High Memory Usage',
  failSeverity: 'SEV2',
  description: 'Host memory in use: 1 − MemAvailable / MemTotal',
});

export const memoryContainerUtilization: CheckDecl = Object.freeze({
  id: 'memory:container_utilization',
  componentType: 'system',
  unit: 'percent',
  playbook: 'High Memory Usage',
  failSeverity: 'SEV2',
  description: "The container's working set over its cgroup memory limit",
});

export const MEMORY_CHECKS = [memoryUtilization, memoryContainerUtilization] as const;
