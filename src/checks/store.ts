// The latest state of every check, with hysteresis: a check changes state only after
// `failureThreshold` consecutive worse results or `successThreshold` consecutive better ones,
// like Kubernetes probes. HTTP handlers only read from here.
import { evaluate, STATUS_ORDER, worst, type Severity, type Status, type Thresholds } from './levels.ts';
import type { CheckDecl, CheckObservation } from './types.ts';

/** What the store needs of a probe's schedule (the resolved config's ProbeSchedule has it). */
export interface CheckSchedule {
  readonly critical: boolean;
  readonly intervalMs: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

export interface CheckEntry {
  readonly key: string;
  readonly check: CheckDecl;
  readonly componentId: string;
  /** Probe instance that reports it. */
  readonly probe: string;
  readonly critical: boolean;
  readonly intervalMs: number;
  /** Settled status, after hysteresis. */
  status: Status;
  severity: Severity | null;
  /** When the settled status began. */
  since: Date;
  /** Latest observation. */
  observedValue: CheckObservation['observedValue'];
  output: string;
  details: CheckObservation['details'] | null;
  thresholds: Thresholds | null;
  time: Date;
  /** A different status seen `count` times in a row, not yet settled. */
  pending: { status: Status; count: number } | null;
}

/** What a reader sees: staleness applied. */
export interface CheckView {
  readonly key: string;
  readonly check: CheckDecl;
  readonly componentId: string;
  readonly probe: string;
  readonly critical: boolean;
  readonly status: Status;
  readonly severity: Severity | null;
  readonly since: Date;
  readonly observedValue: CheckObservation['observedValue'];
  readonly output: string;
  readonly details: CheckObservation['details'] | null;
  readonly thresholds: Thresholds | null;
  readonly time: Date;
  readonly stale: boolean;
}

export interface Transition {
  readonly entry: CheckView;
  readonly from: Status | null;
  readonly to: Status;
}

/** A result older than this many intervals is reported as failed (`stale`). */
export const STALE_INTERVALS = 3;

export class CheckStore {
  private readonly entries = new Map<string, CheckEntry>();
  private readonly byProbe = new Map<string, Set<string>>();

  /**
   * Records one run's observations for a probe. Components the probe no longer reports (an
   * unmounted disk) are dropped. Returns the settled-state changes, to be logged once each.
   */
  record(probe: string, schedule: CheckSchedule, observations: readonly CheckObservation[], now: Date): Transition[] {
    const transitions: Transition[] = [];
    const seen = new Set<string>();
    for (const obs of observations) {
      const key = `${obs.check.id}|${obs.componentId}`;
      seen.add(key);
      const { status, severity } = observationStatus(obs);
      const output = obs.output ?? '';
      const details = obs.details ?? null;
      const thresholds = obs.thresholds ?? null;
      const existing = this.entries.get(key);
      if (!existing) {
        const entry: CheckEntry = {
          key,
          check: obs.check,
          componentId: obs.componentId,
          probe,
          critical: schedule.critical,
          intervalMs: schedule.intervalMs,
          status,
          severity,
          since: now,
          observedValue: obs.observedValue,
          output,
          details,
          thresholds,
          time: now,
          pending: null,
        };
        this.entries.set(key, entry);
        transitions.push({ entry: view(entry, now), from: null, to: status });
        continue;
      }
      existing.observedValue = obs.observedValue;
      existing.output = output;
      existing.details = details;
      existing.thresholds = thresholds;
      existing.time = now;
      if (status === existing.status) {
        existing.pending = null;
        if (severity !== existing.severity) {
          // Same status, other rung of the ladder (disk 70 % → 85 %): worth one log line.
          existing.severity = severity;
          transitions.push({ entry: view(existing, now), from: status, to: status });
        }
        continue;
      }
      const count = existing.pending?.status === status ? existing.pending.count + 1 : 1;
      const needed = STATUS_ORDER[status] > STATUS_ORDER[existing.status] ? schedule.failureThreshold : schedule.successThreshold;
      if (count >= needed) {
        const from = existing.status;
        existing.status = status;
        existing.severity = severity;
        existing.since = now;
        existing.pending = null;
        transitions.push({ entry: view(existing, now), from, to: status });
      } else {
        existing.pending = { status, count };
      }
    }
    const previous = this.byProbe.get(probe);
    if (previous) for (const key of previous) if (!seen.has(key)) this.entries.delete(key);
    this.byProbe.set(probe, seen);
    return transitions;
  }

  /**
   * A run that produced nothing (threw, timed out): every check the probe reported before fails
   * with `reason`; before its first success, one entry per declared check stands for the probe,
   * under the component id its successful runs will use (`componentId`, default the probe name).
   */
  recordFailure(probe: string, schedule: CheckSchedule, checks: readonly CheckDecl[], reason: string, now: Date, componentId: string = probe): Transition[] {
    const known = [...(this.byProbe.get(probe) ?? [])].map((key) => this.entries.get(key)).filter((e): e is CheckEntry => !!e);
    const observations: CheckObservation[] =
      known.length > 0
        ? known.map((e) => ({ check: e.check, componentId: e.componentId, observedValue: null, status: 'fail', output: reason }))
        : checks.map((check) => ({ check, componentId, observedValue: null, status: 'fail', output: reason }));
    return this.record(probe, schedule, observations, now);
  }

  /** Drops a probe's checks, so its next run is judged alone (`vigil check`'s second sample). */
  forget(probe: string): void {
    for (const key of this.byProbe.get(probe) ?? []) this.entries.delete(key);
    this.byProbe.delete(probe);
  }

  /** Views of the critical checks that fail (stale ones included), by key: what /ready asks on every poll, without a view of every check. */
  criticalFailing(now: Date): CheckView[] {
    const out: CheckView[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.critical) continue;
      const v = view(entry, now);
      if (v.status === 'fail') out.push(v);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  views(now: Date): CheckView[] {
    const out: CheckView[] = [];
    for (const entry of this.entries.values()) out.push(view(entry, now));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The status and severity one observation stands for, before hysteresis. judge() settles them
 * when the observation is made; a hand-built one with only a ladder is judged here.
 */
export function observationStatus(obs: CheckObservation): { status: Status; severity: Severity | null } {
  if (obs.status) {
    const severity = obs.status === 'pass' ? null : (obs.severity ?? (obs.status === 'fail' ? obs.check.failSeverity : null));
    return { status: obs.status, severity };
  }
  if (obs.thresholds && typeof obs.observedValue === 'number') {
    const e = evaluate(obs.observedValue, obs.thresholds);
    return { status: e.status, severity: obs.severity ?? e.severity };
  }
  return { status: 'pass', severity: null };
}

function view(entry: CheckEntry, now: Date): CheckView {
  const stale = now.getTime() - entry.time.getTime() > STALE_INTERVALS * entry.intervalMs;
  return {
    key: entry.key,
    check: entry.check,
    componentId: entry.componentId,
    probe: entry.probe,
    critical: entry.critical,
    status: stale ? 'fail' : entry.status,
    severity: stale ? entry.check.failSeverity : entry.severity,
    since: stale ? new Date(entry.time.getTime() + STALE_INTERVALS * entry.intervalMs) : entry.since,
    observedValue: entry.observedValue,
    output: stale ? 'stale' : entry.output,
    details: entry.details,
    thresholds: entry.thresholds,
    time: entry.time,
    stale,
  };
}

/** Overall status: the worst of all checks; `pass` when there are none. */
export function overallStatus(views: readonly { status: Status }[]): Status {
  return views.reduce<Status>((status, v) => worst(status, v.status), 'pass');
}
