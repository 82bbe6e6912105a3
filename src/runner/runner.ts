// Runs every probe on its own schedule: timeout via AbortSignal, a little jitter, never two runs
// of the same probe at once, results into the check store and the metric store. Logs only
// changes: a check changing state, a probe starting or stopping to fail, partial errors
// appearing or clearing. A probe that ignores its signal is waited for no longer than its
// timeout, and is not started again while its previous run is still pending.
import { componentLogger, type Logger } from '../log/logger.ts';
import type { CheckStore, Transition } from '../checks/store.ts';
import type { MetricStore } from '../metrics/family.ts';
import { probeDroppedSeries, probeInterval, probeLastSuccess, probeRuns, probeSuccess, type CoreMetrics } from '../metrics/core.ts';
import type { ProbeSettings } from '../probes/kind.ts';
import type { Collection, Probe } from '../probes/types.ts';
import { formatDuration } from '../config/duration.ts';
import { describeThresholds } from '../checks/levels.ts';
import { formatObserved } from '../checks/judge.ts';
import { round2 } from '../text.ts';
import { abortable, raceDeadline } from '../deadline.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { traceProbeRun, type RunOutcome } from './probe-span.ts';

export interface RunnerDeps {
  readonly checks: CheckStore;
  readonly metrics: MetricStore;
  readonly core: CoreMetrics;
  readonly logger: Logger;
  /** Clock and randomness, injectable for tests. */
  readonly now?: () => Date;
  readonly random?: () => number;
}

type RunResult = RunOutcome['result'];

interface Slot {
  readonly probe: Probe;
  readonly settings: ProbeSettings<unknown>;
  started: boolean;
  timer: NodeJS.Timeout | undefined;
  /** The probe's own promise of the current run; stays set while a timed-out run still hangs. */
  inFlight: Promise<unknown> | undefined;
  /** Resolves when the scheduled execution (not the probe's promise) is over. */
  execution: Promise<void> | undefined;
  completedRuns: number;
  lastFailure: string | undefined;
  lastPartialErrors: string;
  droppedSeries: number;
}

/**
 * Most series one probe publishes per run: beyond it the rest are dropped, counted in
 * vigil_probe_dropped_series and warned about once, so one big Kafka cluster cannot make every
 * scrape megabytes long.
 */
export const MAX_SERIES_PER_PROBE = 10_000;

/** Upper bound of the random delay added to each run, as a fraction of the interval. */
const JITTER_FRACTION = 0.1;
const JITTER_MAX_MS = 1000;

export class Runner {
  private readonly slots: Slot[];
  private readonly deps: RunnerDeps;
  private readonly log: Logger;
  private readonly shutdown = new AbortController();
  private readonly now: () => Date;
  private readonly random: () => number;
  private firstRound: Promise<void> | undefined;

  constructor(probes: readonly { probe: Probe; settings: ProbeSettings<unknown> }[], deps: RunnerDeps) {
    this.deps = deps;
    this.log = componentLogger(deps.logger, 'runner');
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.slots = probes.map(({ probe, settings }) => ({
      probe,
      settings,
      started: false,
      timer: undefined,
      inFlight: undefined,
      execution: undefined,
      completedRuns: 0,
      lastFailure: undefined,
      lastPartialErrors: '',
      droppedSeries: 0,
    }));
    for (const { probe, settings } of this.slots) {
      for (const decl of probe.metrics) deps.metrics.register(decl);
      deps.metrics.set(probeInterval, { probe: probe.name }, settings.schedule.intervalMs / 1000);
      deps.metrics.set(probeDroppedSeries, { probe: probe.name }, 0);
    }
  }

  /** True once every probe has finished (or failed) its first run. */
  get firstRoundDone(): boolean {
    return this.slots.every((s) => s.completedRuns > 0);
  }

  /** Starts the schedules; the returned promise resolves when the first round is over. */
  start(): Promise<void> {
    if (!this.firstRound) {
      this.firstRound = Promise.all(
        this.slots.map(async (slot) => {
          // Stagger the first runs slightly so probes do not all hit the system at the same instant.
          await sleep(this.random() * Math.min(250, slot.settings.schedule.intervalMs / 10), this.shutdown.signal);
          await this.execute(slot);
        }),
      ).then(() => undefined);
    }
    return this.firstRound;
  }

  /** Runs every probe (or those `only` picks) once, for `vigil check`, without scheduling more runs. */
  async runOnce(only: (probe: Probe) => boolean = () => true): Promise<void> {
    await Promise.all(this.slots.filter((slot) => only(slot.probe)).map((slot) => this.run(slot)));
  }

  /** The probes this runner drives. */
  get probes(): readonly Probe[] {
    return this.slots.map((slot) => slot.probe);
  }

  /** Cancels timers, aborts runs in flight, closes every probe. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    for (const slot of this.slots) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((s) => s.execution));
    await Promise.all(
      this.slots.map(async (slot) => {
        try {
          await raceDeadline(slot.probe.stop(), slot.settings.schedule.timeoutMs, undefined, `probe ${slot.probe.name} stop`);
        } catch (err) {
          this.log.warn({ event: 'probe.stop_failed', details: { probe: slot.probe.name }, error: err }, `probe ${slot.probe.name} did not stop cleanly`);
        }
      }),
    );
  }

  private async execute(slot: Slot): Promise<void> {
    if (this.shutdown.signal.aborted) return;
    const startedAt = Date.now();
    slot.execution = this.run(slot).catch((err: unknown) => {
      // run() does not throw; if a bug makes it, the probe must still be scheduled again.
      this.log.error({ event: 'probe.run_crashed', details: { probe: slot.probe.name }, error: err }, `probe ${slot.probe.name}: run failed unexpectedly`);
    });
    await slot.execution;
    slot.execution = undefined;
    if (this.shutdown.signal.aborted) return;
    const { intervalMs } = slot.settings.schedule;
    const jitter = this.random() * Math.min(intervalMs * JITTER_FRACTION, JITTER_MAX_MS);
    const delay = Math.max(0, startedAt + intervalMs - Date.now()) + jitter;
    slot.timer = setTimeout(() => void this.execute(slot), delay);
  }

  /**
   * One run of one probe, inside its span: the probe's driver calls become child spans and the
   * log lines about the run carry its trace_id. Never throws.
   */
  private run(slot: Slot): Promise<void> {
    return traceProbeRun(slot.probe, () => this.runInSpan(slot));
  }

  private async runInSpan(slot: Slot): Promise<RunOutcome> {
    const { probe, settings } = slot;
    const { timeoutMs } = settings.schedule;
    if (slot.inFlight) {
      // The previous run timed out and has still not returned: do not pile up another.
      const reason = `previous run still in progress (timed out after ${formatDuration(timeoutMs)})`;
      this.finish(slot, 'skipped', 0, reason);
      return { result: 'skipped', reason };
    }
    // Not AbortSignal.timeout(): its timer is unref'd, and `vigil check` has nothing else keeping
    // the process alive while a probe hangs.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('timeout')), timeoutMs);
    const signal = AbortSignal.any([this.shutdown.signal, deadline.signal]);
    const t0 = performance.now();
    let collection: Collection | undefined;
    let result: RunResult = 'success';
    let reason: string | undefined;
    try {
      const work = (async () => {
        if (!slot.started) {
          await probe.start(signal);
          slot.started = true;
        }
        return probe.collect(signal);
      })();
      slot.inFlight = work;
      work.then(
        () => (slot.inFlight = undefined),
        () => (slot.inFlight = undefined),
      );
      collection = await abortable(work, signal);
    } catch (err) {
      if (this.shutdown.signal.aborted) result = 'aborted';
      else if (signal.aborted) {
        result = 'timeout';
        reason = `timed out after ${formatDuration(timeoutMs)}`;
      } else {
        result = 'error';
        reason = err instanceof Error ? err.message : String(err);
      }
    } finally {
      clearTimeout(timer);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (result === 'aborted') return { result };
    this.deps.core.duration.observe(probe.name, seconds);
    if (result === 'success' && !wellFormed(collection)) {
      result = 'error';
      reason = 'malformed result (a bug in the probe): expected samples, checks and errors lists';
      collection = undefined;
    }
    try {
      this.finish(slot, result, seconds, reason, collection);
    } catch (err) {
      // A result the stores cannot take (an observation without a check, say): fail the probe's
      // checks and set success to 0 rather than leave the last good state standing.
      reason = `malformed result (a bug in the probe): ${err instanceof Error ? err.message : String(err)}`;
      result = 'error';
      collection = undefined;
      this.finish(slot, result, seconds, reason);
    }
    return { result, reason, collection };
  }

  private finish(slot: Slot, result: RunResult, seconds: number, reason: string | undefined, collection?: Collection): void {
    const { probe, settings } = slot;
    const { metrics, checks } = this.deps;
    const now = this.now();
    slot.completedRuns++;
    metrics.set(probeRuns, { probe: probe.name, result }, (metrics.value(probeRuns, { probe: probe.name, result }) ?? 0) + 1);
    metrics.set(probeSuccess, { probe: probe.name }, result === 'success' ? 1 : 0);

    let transitions: Transition[];
    if (result === 'success' && collection) {
      metrics.set(probeLastSuccess, { probe: probe.name }, now.getTime() / 1000);
      try {
        metrics.publish(probe.name, probe.metrics, this.capSeries(slot, collection.samples));
      } catch (err) {
        // A probe emitting a wrong sample is a bug; keep the checks, say it loudly once.
        this.log.error({ event: 'probe.bad_samples', details: { probe: probe.name }, error: err }, `probe ${probe.name} emitted bad samples`);
      }
      transitions = checks.record(probe.name, settings.schedule, collection.checks, now);
      if (slot.lastFailure !== undefined) {
        this.log.info({ event: 'probe.recovered', details: { probe: probe.name, duration_s: round2(seconds) } }, `probe ${probe.name} is running again`);
        slot.lastFailure = undefined;
      }
      this.reportPartialErrors(slot, collection);
    } else {
      const why = reason ?? 'failed';
      transitions = checks.recordFailure(probe.name, settings.schedule, probe.checks, why, now, probe.componentId);
      metrics.publish(probe.name, probe.metrics, []);
      if (slot.lastFailure !== why) {
        this.log.error(
          { event: 'probe.failed', details: { probe: probe.name, result }, error: { type: result, message: why } },
          `probe ${probe.name} failed: ${why}`,
        );
        slot.lastFailure = why;
      }
    }
    for (const t of transitions) this.logTransition(t);
  }

  /** The first MAX_SERIES_PER_PROBE samples; the rest are counted, and warned about when the count changes from or to 0. */
  private capSeries(slot: Slot, samples: Collection['samples']): Collection['samples'] {
    const dropped = Math.max(0, samples.length - MAX_SERIES_PER_PROBE);
    this.deps.metrics.set(probeDroppedSeries, { probe: slot.probe.name }, dropped);
    if (dropped > 0 !== slot.droppedSeries > 0) {
      const name = slot.probe.name;
      if (dropped > 0) {
        this.log.warn(
          { event: 'probe.series_capped', details: { probe: name, series: samples.length, limit: MAX_SERIES_PER_PROBE, dropped } },
          `probe ${name}: ${samples.length} series, over the limit of ${MAX_SERIES_PER_PROBE}; ${dropped} dropped (narrow groups_include or turn off per_partition_metrics)`,
        );
      } else {
        this.log.info({ event: 'probe.series_cap_cleared', details: { probe: name, series: samples.length } }, `probe ${name}: series back under the limit`);
      }
    }
    slot.droppedSeries = dropped;
    return dropped > 0 ? samples.slice(0, MAX_SERIES_PER_PROBE) : samples;
  }

  private reportPartialErrors(slot: Slot, collection: Collection): void {
    const summary = collection.errors.map((e) => (e.componentId ? `${e.componentId}: ${e.message}` : e.message)).join('; ');
    if (summary === slot.lastPartialErrors) return;
    if (summary) {
      this.log.warn({ event: 'probe.partial_errors', details: { probe: slot.probe.name, errors: collection.errors } }, `probe ${slot.probe.name}: ${summary}`);
    } else {
      this.log.info({ event: 'probe.partial_errors_cleared', details: { probe: slot.probe.name } }, `probe ${slot.probe.name}: earlier errors cleared`);
    }
    slot.lastPartialErrors = summary;
  }

  private logTransition(t: Transition): void {
    const e = t.entry;
    // The first pass of a check is the normal case: stay quiet about it.
    if (t.from === null && t.to === 'pass') return;
    const level = t.to === 'fail' ? 'error' : t.to === 'warn' ? 'warn' : 'info';
    const observed = e.observedValue === null ? '' : ` (${formatObserved(e.observedValue, e.check.unit)})`;
    const what = t.from === null ? `is ${t.to}` : t.from === t.to ? `is still ${t.to}, now ${e.severity ?? 'no severity'}` : `changed ${t.from} → ${t.to}`;
    const message = `check ${e.check.id} ${e.componentId} ${what}${observed}${e.output ? `: ${e.output}` : ''}`;
    const fields: Record<string, unknown> = {
      event: 'check.transition',
      details: {
        check: e.check.id,
        component_id: e.componentId,
        probe: e.probe,
        from: t.from,
        to: t.to,
        observed_value: e.observedValue,
        thresholds: e.thresholds ? describeThresholds(e.thresholds, e.check.unit) : undefined,
        playbook: t.to === 'pass' ? undefined : e.check.playbook,
        critical: e.critical,
      },
    };
    if (e.severity) fields.severity_label = e.severity;
    this.log[level](fields, message);
  }
}

/** A collection whose three lists are arrays of objects: the least the stores rely on. */
function wellFormed(collection: Collection | undefined): collection is Collection {
  if (typeof collection !== 'object' || collection === null) return false;
  const lists = [collection.samples, collection.checks, collection.errors];
  return lists.every((list) => Array.isArray(list) && list.every((item) => typeof item === 'object' && item !== null));
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
