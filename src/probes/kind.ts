// What a probe folder exports to the registry: its config schema, how to resolve that section,
// and how to build probe instances from the resolved (frozen) config.
import { resolveSchedule, type CommonProbeInput, type ProbeSchedule } from '../config/common.ts';
import type { ProbeSection, ProbeSettings, ReportProblem, ResolveInput } from '../config/probe-config.ts';
import type { Probe, ProbeContext } from './types.ts';

// The config side of a kind is declared in src/config/probe-config.ts (the loader reads it
// without knowing probes); probe code imports it from here with the rest of the kind.
export type { ProbeSection, ProbeSettings, ReportProblem, ResolveInput };

/** A probe kind: its config section (see ProbeSection) and how to build its instances. */
export interface ProbeKind<Raw = unknown, Options = unknown> extends ProbeSection<Raw, Options> {
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
