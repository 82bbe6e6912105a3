// Metrics about Vigil itself and about every check, whatever the probe.
import { STALE_INTERVALS, type CheckStore } from '../checks/store.ts';
import { STATUS_ORDER } from '../checks/levels.ts';
import { counter, gauge, type MetricStore } from './family.ts';
import { VERSION, REVISION } from '../version.ts';

export const checkStatus = gauge(
  'vigil_check_status',
  `Settled status of a check: 0 pass, 1 warn, 2 fail (a result older than ${STALE_INTERVALS} intervals counts as fail).`,
  ['check', 'component_id'],
);
export const probeSuccess = gauge('vigil_probe_success', 'Whether the last run of a probe completed (1) or failed or timed out (0).', ['probe']);
export const probeLastSuccess = gauge('vigil_probe_last_success_timestamp_seconds', 'Unix time of the last run of a probe that completed.', ['probe']);
export const probeInterval = gauge('vigil_probe_interval_seconds', 'Configured interval between runs of a probe (for staleness alerts).', ['probe']);
export const probeRuns = counter('vigil_probe_runs_total', 'Probe runs by result: success, error, timeout or skipped (previous run still in flight).', [
  'probe',
  'result',
]);
export const probeDroppedSeries = gauge(
  'vigil_probe_dropped_series',
  'Series the last run of a probe produced beyond the per-probe cap (MAX_SERIES_PER_PROBE) and did not publish.',
  ['probe'],
);
export const buildInfo = gauge('vigil_build_info', 'Always 1; labels tell the Vigil version and the Node.js runtime.', [
  'version',
  'revision',
  'nodejs_version',
]);

export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const probeDuration = Object.freeze({
  name: 'vigil_probe_duration_seconds',
  help: 'Duration of probe runs, including failed and timed-out ones.',
  kind: 'histogram',
  labels: Object.freeze(['probe']),
});

/** Every metric about the agent and its checks, whatever the probes (the docs' table lists them first). */
export const CORE_METRICS = [checkStatus, probeSuccess, probeDuration, probeRuns, probeLastSuccess, probeInterval, probeDroppedSeries, buildInfo] as const;

export interface CoreMetrics {
  readonly duration: { observe(probe: string, seconds: number): void };
}

/** Registers Vigil's own metrics and vigil_check_status, fed from the check store at scrape time. */
export function registerCoreMetrics(metrics: MetricStore, checks: CheckStore): CoreMetrics {
  metrics.register(checkStatus, () => {
    metrics.clear(checkStatus);
    for (const v of checks.views(new Date())) {
      metrics.set(checkStatus, { check: v.check.id, component_id: v.componentId }, STATUS_ORDER[v.status]);
    }
  });
  for (const decl of [probeSuccess, probeLastSuccess, probeInterval, probeRuns, probeDroppedSeries, buildInfo]) metrics.register(decl);
  metrics.set(buildInfo, { version: VERSION, revision: REVISION, nodejs_version: process.version }, 1);

  const histogram = metrics.histogram(probeDuration.name, probeDuration.help, probeDuration.labels, DURATION_BUCKETS);
  return {
    duration: {
      observe: (probe, seconds) => histogram.observe({ probe }, seconds),
    },
  };
}
