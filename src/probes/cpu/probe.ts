// Host CPU utilization between two /proc/stat samples, load, and cgroup CFS throttling.
import { setTimeout as sleep } from 'node:timers/promises';
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { emptyCollection, type Collection, type HostPaths, type Probe, type ProbeContext } from '../types.ts';
import type { CpuOptions } from './config.ts';
import { busyRatio, CPU_MODES, readCpuTimes, readLoadavg, USER_HZ, type LoadAverage, type StatTimes } from './stat.ts';
import { readCgroupCpu, throttledRatio, type CgroupCpu, type CpuThrottling } from './cgroup.ts';
import * as m from './metadata.ts';
import { failedObservation, judgePercent } from '../../checks/judge.ts';
import { reason } from '../../text.ts';

export interface CpuProbeDeps {
  /** A utilization over less than this is mostly noise; collect waits until the baseline is this old. */
  readonly minSampleAgeMs?: number;
}

interface TimesSample {
  readonly at: number;
  readonly times: StatTimes;
}

export class CpuProbe extends DeclaredProbe<CpuOptions> implements Probe {
  private readonly host: HostPaths;
  private readonly minSampleAgeMs: number;
  private previous: TimesSample | undefined;
  private previousThrottling: CpuThrottling | undefined;

  constructor(settings: ProbeSettings<CpuOptions>, ctx: ProbeContext, deps: CpuProbeDeps = {}) {
    super(m.CPU, settings);
    this.host = ctx.host;
    this.minSampleAgeMs = deps.minSampleAgeMs ?? 1000;
  }

  /** Baselines, so the first collect measures an interval rather than the time since boot. */
  async start(signal: AbortSignal): Promise<void> {
    this.previous = await this.sampleTimes(signal);
    this.previousThrottling = (await readCgroupCpu(this.host.sys, signal).catch(() => undefined))?.throttling;
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const out = emptyCollection();
    const baseline = this.previous ?? (await this.sampleTimes(signal));
    const wait = baseline.at + this.minSampleAgeMs - performance.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal });
      } catch (err) {
        signal.throwIfAborted();
        throw err;
      }
    }
    const current = await this.sampleTimes(signal);
    this.previous = current;

    let load: LoadAverage | undefined;
    try {
      load = await readLoadavg(this.host.proc, signal);
      out.samples.push(
        { metric: m.load1, labels: {}, value: load.load1 },
        { metric: m.load5, labels: {}, value: load.load5 },
        { metric: m.load15, labels: {}, value: load.load15 },
      );
    } catch (err) {
      signal.throwIfAborted();
      out.errors.push({ componentId: 'host', message: `loadavg: ${reason(err)}` });
    }

    const busy = busyRatio(baseline.times.total, current.times.total);
    out.samples.push({ metric: m.cpuUtilization, labels: {}, value: busy });
    for (const mode of CPU_MODES) out.samples.push({ metric: m.cpuSeconds, labels: { mode }, value: current.times.total[mode] / USER_HZ });
    for (const [cpu, times] of current.times.perCpu) {
      for (const mode of CPU_MODES) out.samples.push({ metric: m.cpuCoreSeconds, labels: { cpu, mode }, value: times[mode] / USER_HZ });
    }
    const loadText = load ? `load ${load.load1} ${load.load5} ${load.load15}` : undefined;
    out.checks.push(judgePercent(m.cpuUtilizationCheck, 'host', busy * 100, this.options.thresholds, 'busy', loadText));

    let cgroup: CgroupCpu | undefined;
    try {
      cgroup = await readCgroupCpu(this.host.sys, signal);
    } catch (err) {
      signal.throwIfAborted();
      const message = `cgroup cpu: ${reason(err)}`;
      out.errors.push({ componentId: 'container', message });
      out.checks.push(failedObservation(m.cpuThrottlingCheck, 'container', message));
      return out;
    }
    this.reportCgroup(cgroup, out);
    return out;
  }

  async stop(): Promise<void> {}

  private reportCgroup(cgroup: CgroupCpu | undefined, out: Collection): void {
    const throttling = cgroup?.throttling;
    const previous = this.previousThrottling;
    this.previousThrottling = throttling;
    if (cgroup?.limitCores != null) out.samples.push({ metric: m.cpuLimitCores, labels: {}, value: cgroup.limitCores });
    if (!throttling) return;
    out.samples.push(
      { metric: m.cfsPeriods, labels: {}, value: throttling.periods },
      { metric: m.cfsThrottledPeriods, labels: {}, value: throttling.throttledPeriods },
      { metric: m.cfsThrottledSeconds, labels: {}, value: throttling.throttledSeconds },
    );
    // Without a baseline (counters appeared since the last run) there is no interval to measure.
    if (!previous) return;
    const ratio = throttledRatio(previous, throttling);
    out.samples.push({ metric: m.throttledRatio, labels: {}, value: ratio });
    if (cgroup?.limitCores != null) {
      const limit = `limit ${+cgroup.limitCores.toFixed(3)} CPUs`;
      out.checks.push(judgePercent(m.cpuThrottlingCheck, 'container', ratio * 100, this.options.throttlingThresholds, 'of periods throttled', limit));
    }
  }

  private async sampleTimes(signal: AbortSignal): Promise<TimesSample> {
    const times = await readCpuTimes(this.host.proc, signal);
    return { at: performance.now(), times };
  }
}
