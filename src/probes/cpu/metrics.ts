// Metric and check declarations of the cpu probe (container series named as cAdvisor's).
import { counter, gauge } from '../../metrics/family.ts';
import type { CheckDecl } from '../types.ts';

export const cpuUtilization = gauge('vigil_cpu_utilization_ratio', 'Share of host CPU time not idle over the last interval, 0 to 1.');
export const cpuSeconds = counter('vigil_cpu_seconds_total', 'Host CPU time spent in each mode, all CPUs summed, in seconds.', ['mode']);
// node_exporter's node_cpu_seconds_total: one series per logical CPU and mode, so dashboards'
// avg by (instance) (rate(...{mode="idle"}[5m])) and count by (instance) (...{mode="idle"}) port.
export const cpuCoreSeconds = counter('vigil_cpu_core_seconds_total', 'CPU time of each logical CPU in each mode, in seconds.', ['cpu', 'mode']);
export const load1 = gauge('vigil_load1', '1-minute load average.');
export const load5 = gauge('vigil_load5', '5-minute load average.');
export const load15 = gauge('vigil_load15', '15-minute load average.');
export const cfsPeriods = counter('vigil_container_cpu_cfs_periods_total', 'Elapsed CFS enforcement periods of the cgroup.');
export const cfsThrottledPeriods = counter('vigil_container_cpu_cfs_throttled_periods_total', 'CFS periods in which the cgroup was throttled.');
export const cfsThrottledSeconds = counter('vigil_container_cpu_cfs_throttled_seconds_total', 'Total time the cgroup was throttled, in seconds.');
export const throttledRatio = gauge('vigil_container_cpu_throttled_ratio', 'Share of CFS periods throttled over the last interval, 0 to 1.');
export const cpuLimitCores = gauge('vigil_container_cpu_limit_cores', 'CFS quota of the cgroup in CPUs (quota / period); absent when unlimited.');

export const CPU_METRICS = [
  cpuUtilization,
  cpuSeconds,
  cpuCoreSeconds,
  load1,
  load5,
  load15,
  cfsPeriods,
  cfsThrottledPeriods,
  cfsThrottledSeconds,
  throttledRatio,
  cpuLimitCores,
] as const;

export const cpuUtilizationCheck: CheckDecl = Object.freeze({
  id: 'cpu:utilization',
  componentType: 'system',
  unit: 'percent',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV2',
  description: 'Host CPU busy over the last interval: 1 − Δ(idle + iowait) / Δtotal',
});

export const cpuThrottlingCheck: CheckDecl = Object.freeze({
  id: 'cpu:throttling',
  componentType: 'system',
  unit: 'percent',
  playbook: 'Severe Performance Degradation',
  // Unreadable throttling counters are worth a look, not a page.
  failSeverity: 'SEV4',
  description: 'Share of CFS periods in which the container hit its CPU quota, over the last interval',
});

export const CPU_CHECKS = [cpuUtilizationCheck, cpuThrottlingCheck] as const;
