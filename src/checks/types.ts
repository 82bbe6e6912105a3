// What a check is (declared once per probe kind, in its folder's metadata.ts) and what one
// measurement of it looks like. Docs, --help, the example config and the config schema's
// threshold fields are all derived from these declarations (npm run docs).
import type { Level, Severity, Status, Thresholds } from './levels.ts';

/** One level of a default ladder: its key in the config (`warn`, `high`, `fail`) and default. */
export interface LevelSpec<K extends string = string> {
  readonly key: K;
  readonly status: Level['status'];
  readonly severity: Severity;
  /** Absent: the level exists only when configured. */
  readonly default?: number;
}

/** How a check is judged against thresholds the user may override. */
export interface LadderSpec<K extends string = string> {
  /** Where the ladder is set, relative to the kind's section (or a target): `thresholds`, `thresholds.memory`. */
  readonly config: string;
  /** `above`: bad when value ≥ level (usage). `below`: bad when value < level (hit ratio). */
  readonly direction: Thresholds['direction'];
  /** The values a level takes: a percent 0–100, or any number ≥ 0 (seconds, messages…). */
  readonly values: 'percent' | 'non-negative';
  /** What is compared, for the config schema's description: `Space used, percent`. */
  readonly measures: string;
  /** Mildest first. */
  readonly levels: readonly LevelSpec<K>[];
}

/** Declared once per check kind, e.g. `disk:utilization`; keyed `kind:measurement`. */
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
  /** What is observed, as the docs' Checks tables say it. */
  readonly description: string;
  /** Which component ids it reports, for the docs: `each mount point`, `` `host` ``. */
  readonly component: string;
  /** The default threshold ladder, for checks judged against one. */
  readonly ladder?: LadderSpec;
  /** For checks judged otherwise (a state, a boolean): how, in the docs' Thresholds column. */
  readonly judgedBy?: string;
  /** Severities it may report when that is not just the ladder's and failSeverity (docs only). */
  readonly severities?: readonly Severity[];
  /**
   * Reported by several kinds (`tls:expiry`: certificate files, database connections…): any kind
   * may list it whatever its check prefix, and the docs' tables list it once.
   */
  readonly shared?: boolean;
}

/** One measurement of one check for one component (a mount, a target…). */
export interface CheckObservation {
  readonly check: CheckDecl;
  /** e.g. the mount point `/var`, a target name. */
  readonly componentId: string;
  readonly observedValue: number | string | boolean | null;
  /** The ladder the value was judged against (shown in outputs and logs). */
  readonly thresholds?: Thresholds;
  /** Set by judge() for ladders; explicit for other outcomes (unreachable, read-only…). */
  readonly status?: Status;
  /** Explicit severity; defaults to the crossed level's, or `check.failSeverity` on fail. */
  readonly severity?: Severity;
  /** Short human explanation, e.g. `statfs timed out after 5s`. */
  readonly output?: string;
  /** Facts behind the value, shown in /health/detailed (a certificate's subject and SANs). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Freezes a check declaration (and its ladder) so no probe can change what others read. */
export function defineCheck(decl: CheckDecl): CheckDecl {
  const ladder = decl.ladder && Object.freeze({ ...decl.ladder, levels: Object.freeze(decl.ladder.levels.map((l) => Object.freeze({ ...l }))) });
  return Object.freeze({ ...decl, ...(ladder ? { ladder } : {}) });
}
