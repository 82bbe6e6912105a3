// The small interface every probe implements. The shared runner (src/runner) adds
// scheduling, timeouts, single-flight, success/duration metrics, state hysteresis and logs,
// so a probe only opens its connections, measures and closes.
import type { CheckDecl, CheckObservation } from '../checks/types.ts';
import type { HostPaths } from '../config/probe-config.ts';
import type { MetricDecl } from '../metrics/family.ts';
import type { Logger } from '../log/logger.ts';

// Check declarations and observations are the checks' vocabulary (src/checks/types.ts), host
// paths the config's (src/config/probe-config.ts); probes import them from here with the rest of
// their interface.
export type { CheckDecl, CheckObservation, HostPaths };

/** A metric value. `metric` is the declaration object (see src/metrics/family.ts). */
export interface Sample {
  readonly metric: MetricDecl;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Something went wrong for part of a run; the rest of the results still count. */
export interface PartialError {
  readonly componentId?: string;
  readonly message: string;
}

export interface Collection {
  readonly samples: Sample[];
  readonly checks: CheckObservation[];
  readonly errors: PartialError[];
}

export interface Probe {
  /** Config key of the probe kind, e.g. `disk`. */
  readonly kind: string;
  /** Instance name, unique across probes: the kind for host probes, `kind/target` otherwise. */
  readonly name: string;
  /** Every metric this probe may emit (so stale series can be removed). */
  readonly metrics: readonly MetricDecl[];
  /** Every check this probe may report. */
  readonly checks: readonly CheckDecl[];
  /**
   * The component id of its probe-wide checks (a target's name): failures before the first
   * success are recorded under it, so ids do not change when the target first answers.
   * Default: the probe name.
   */
  readonly componentId?: string;
  /**
   * Some checks compare a run with the previous one (counter deltas): `vigil check` runs such a
   * probe a second time, a moment later, so those checks are evaluated, not "first sample".
   */
  readonly comparesRuns?: boolean;
  /** Opens connections, takes baseline samples. Must honour the signal. */
  start(signal: AbortSignal): Promise<void>;
  /** One measurement round. Throwing fails every check of this probe for this run. */
  collect(signal: AbortSignal): Promise<Collection>;
  /** Closes connections. Must not throw. */
  stop(): Promise<void>;
}

export interface ProbeContext {
  readonly logger: Logger;
  readonly host: HostPaths;
}

export function emptyCollection(): Collection {
  return { samples: [], checks: [], errors: [] };
}
