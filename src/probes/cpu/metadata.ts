// The cpu probe kind's facts: metrics (container series named as cAdvisor's) and checks with
// their default ladders (runbooks: CPU < 75 % sustained; AENEAS and ALECS 70–75 / 85).
import { counter, gauge } from '../../metrics/family.ts';
import { defineCheck } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';

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

const CPU_METRICS = [
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

export const cpuUtilizationCheck = defineCheck({
  id: 'cpu:utilization',
  componentType: 'system',
  component: '`host`',
  unit: 'percent',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV2',
  description: '% busy over the last interval, from `/proc/stat`: 1 − Δ(idle + iowait) / Δtotal',
  ladder: {
    config: 'thresholds',
    direction: 'above',
    values: 'percent',
    measures: 'Host CPU busy over the last interval, percent',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 75 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 85 },
    ],
  },
});

export const cpuThrottlingCheck = defineCheck({
  id: 'cpu:throttling',
  componentType: 'system',
  component: '`container`',
  unit: 'percent',
  playbook: 'Severe Performance Degradation',
  // Unreadable throttling counters are worth a look, not a page.
  failSeverity: 'SEV4',
  description: '% of CFS periods throttled over the last interval, only with a CPU quota',
  ladder: {
    config: 'throttling_thresholds',
    direction: 'above',
    values: 'percent',
    measures: 'CFS periods throttled over the last interval, percent',
    // No fail level by default: throttling slows a container down, it does not break it.
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV4', default: 25 },
      { key: 'fail', status: 'fail', severity: 'SEV3' },
    ],
  },
});

export const CPU = defineMetadata({
  key: 'cpu',
  description: 'Host CPU utilization over the last interval and load from /proc, and CFS throttling of the cgroup',
  env: [],
  metrics: CPU_METRICS,
  checks: [cpuUtilizationCheck, cpuThrottlingCheck],
});
