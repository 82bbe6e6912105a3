// Probe kinds with any number of targets (PostgreSQL servers, Redis servers, Kafka clusters):
//
//   probes:
//     postgres:
//       interval: 15s            # applies to every target below
//       targets:
//         - name: orders
//           url: postgres://vigil@db:5432/orders
//           critical: true       # this target gates /ready
//
// plus targets from an environment variable (comma-separated) for sidecars. Each target is one
// probe instance named `kind/name`, with the section's schedule under its own overrides.
import { z } from 'zod';
import { commonProbeFields, resolveSchedule, type CommonProbeInput, type ProbeSchedule } from '../config/common.ts';
import type { ProbeSection, ProbeSettings, ReportDeprecated, ReportProblem } from './kind.ts';

/** A target's name: used in metric labels, check component ids and the instance name. */
export const targetName = z
  .string({ error: 'must be a name of letters, digits and . _ : - (at most 64)' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { error: 'must be a name of letters, digits and . _ : - (at most 64)' });

/** Fields every target accepts: its name and schedule overrides (including `critical`). */
export const targetFields = { name: targetName.optional(), ...commonProbeFields };

export type TargetInput = CommonProbeInput & { name?: string | undefined };

/** A section with section-wide schedule fields and a `targets` list. */
export function targetsSection<T extends z.ZodType, Extra extends z.ZodRawShape = Record<never, never>>(target: T, extra: Extra = {} as Extra) {
  return z.strictObject({
    ...commonProbeFields,
    ...extra,
    targets: z.array(target, { error: 'must be a list of targets' }).optional().describe('The targets to probe; each becomes one probe instance'),
  });
}

export interface TargetKindSpec<Section extends CommonProbeInput & { targets?: Target[] | undefined }, Target extends TargetInput, Options> {
  readonly key: string;
  /** Comma-separated list of targets for sidecars, e.g. VIGIL_POSTGRES_URL. */
  readonly envVar: string;
  /** A raw target from one item of the env list (already trimmed, not empty). */
  fromEnv(item: string): Target;
  /** The name when none is given (host:port); undefined when it cannot be derived. */
  defaultName(target: Target): string | undefined;
  /** The kind's own options for one target; problems and former keys reported with paths relative to the target. */
  options(target: Target, section: Section, schedule: ProbeSchedule, report: ReportProblem, deprecated: ReportDeprecated): Options;
}

/** resolve() for target-list kinds: config targets then env targets, names unique. */
export function targetInstances<Section extends CommonProbeInput & { targets?: Target[] | undefined }, Target extends TargetInput, Options>(
  spec: TargetKindSpec<Section, Target, Options>,
): ProbeSection<Section, Options>['resolve'] {
  return ({ section, defaults, env }, report, deprecated = () => undefined) => {
    const base = resolveSchedule(section, defaults);
    if (!base.enabled) return [];
    const listed: { target: Target; path: string }[] = (section?.targets ?? []).map((target, i) => ({ target, path: `targets.${i}` }));
    const fromEnv = (env[spec.envVar] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const [i, item] of fromEnv.entries()) listed.push({ target: spec.fromEnv(item), path: `(${spec.envVar} item ${i + 1})` });

    const seen = new Map<string, string>();
    const out: ProbeSettings<Options>[] = [];
    for (const { target, path } of listed) {
      const at = (p: string) => (p ? `${path}.${p}` : path);
      const name = target.name ?? spec.defaultName(target);
      if (name === undefined || !targetName.safeParse(name).success) {
        // A name cannot be derived from a broken target: say what is broken (the URL, say), not
        // that a name is missing. The derived name is not echoed: it may hold a password.
        let broken = false;
        spec.options(
          target,
          section ?? ({} as Section),
          resolveSchedule(target, base),
          (p, message) => {
            broken = true;
            report(at(p), message);
          },
          () => undefined,
        );
        if (!broken)
          report(
            at('name'),
            name === undefined
              ? 'is required (it cannot be derived from the target)'
              : 'cannot be derived from the target (letters, digits and . _ : - only); set name: explicitly',
          );
        continue;
      }
      const previous = seen.get(name);
      if (previous !== undefined) {
        report(at('name'), `${name} is already used by ${previous}; give each target its own name`);
        continue;
      }
      seen.set(name, path);
      const schedule = resolveSchedule(target, base);
      if (!schedule.enabled) continue;
      const options = spec.options(
        target,
        section ?? ({} as Section),
        schedule,
        (p, message) => report(at(p), message),
        (p, replacement) => deprecated(at(p), at(replacement)),
      );
      out.push(Object.freeze({ kind: spec.key, name: `${spec.key}/${name}`, schedule, options }));
    }
    return out;
  };
}
