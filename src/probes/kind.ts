// What a probe folder exports to the registry: its config schema, how to resolve that section,
// and how to build probe instances from the resolved (frozen) config.
import type { z } from 'zod';
import { resolveSchedule, type CommonProbeInput, type ProbeSchedule } from '../config/common.ts';
import type { ReportDeprecated } from '../config/deprecation.ts';
import type { Probe, ProbeContext } from './types.ts';

/** Resolved settings of one probe instance: schedule plus the kind's own options. */
export interface ProbeSettings<Options> {
  readonly kind: string;
  /** Unique instance name: the kind for host probes, `kind/target` for targets. */
  readonly name: string;
  readonly schedule: ProbeSchedule;
  readonly options: Options;
}

export interface ResolveInput<Raw> {
  /** The kind's section of the config file, already validated by `schema`; undefined when absent. */
  readonly section: Raw | undefined;
  /** Schedule after `defaults:` is applied. */
  readonly defaults: ProbeSchedule;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Reports a problem found while resolving (a cross-field rule the schema cannot express).
 * `path` is relative to the kind's section, e.g. `thresholds.fail`.
 */
export type ReportProblem = (path: string, message: string) => void;

export type { ReportDeprecated };

export interface ProbeKind<Raw = unknown, Options = unknown> {
  /** Config key under `probes:`, also the folder name. */
  readonly key: string;
  readonly description: string;
  readonly schema: z.ZodType<Raw>;
  /** Returns zero or more instances (none when disabled). Never does I/O. */
  resolve(input: ResolveInput<Raw>, report: ReportProblem, deprecated?: ReportDeprecated): ProbeSettings<Options>[];
  create(settings: ProbeSettings<Options>, ctx: ProbeContext): Probe;
}

export function defineProbeKind<Raw, Options>(kind: ProbeKind<Raw, Options>): ProbeKind<Raw, Options> {
  return Object.freeze(kind);
}

/**
 * resolve() for kinds with a single instance named after the kind (the host probes): the
 * section's schedule over the defaults, nothing when disabled.
 */
export function singleInstance<Raw extends CommonProbeInput, Options>(
  key: string,
  options: (section: Raw | undefined, schedule: ProbeSchedule, report: ReportProblem) => Options,
): ProbeKind<Raw, Options>['resolve'] {
  return ({ section, defaults }, report) => {
    const schedule = resolveSchedule(section, defaults);
    if (!schedule.enabled) return [];
    return [Object.freeze({ kind: key, name: key, schedule, options: options(section, schedule, report) })];
  };
}
