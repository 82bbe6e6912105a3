// What a check is (declared once per check kind) and what one measurement of it says. Probes
// produce observations; the store, the spans and the health documents read them.
import type { Severity, Status, Thresholds } from './levels.ts';

/** Declared once per check kind, e.g. `disk:utilization`; keyed `component:measurement`. */
export interface CheckDecl {
  readonly id: string;
  /** IETF health draft componentType: `system`, `datastore`, `component`… */
  readonly componentType: string;
  /** observedUnit in /health/detailed, e.g. `percent`, `s`, `bytes`. */
  readonly unit: string;
  /** The runbook playbook an operator should open when this check is not passing. */
  readonly playbook: string;
  /** Severity when the check fails for a reason other than a threshold (error, unreachable). */
  readonly failSeverity: Severity;
  readonly description: string;
}

/** One measurement of one check for one component (a mount, a target…). */
export interface CheckObservation {
  readonly check: CheckDecl;
  /** e.g. the mount point `/var`, a target name. */
  readonly componentId: string;
  readonly observedValue: number | string | boolean | null;
  /** When given and `status` is not, the status is derived from the value. */
  readonly thresholds?: Thresholds;
  /** Explicit status for non-numeric outcomes (unreachable, read-only…). */
  readonly status?: Status;
  /** Explicit severity; defaults to the crossed level's, or `check.failSeverity` on fail. */
  readonly severity?: Severity;
  /** Short human explanation, e.g. `statfs timed out after 5s`. */
  readonly output?: string;
}
