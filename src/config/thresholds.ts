// Threshold settings shared by probe configs: `{warn: 80, fail: 90}` in the config file, turned
// into a Thresholds ladder (src/checks/levels.ts) when resolving.
import { z } from 'zod';
import { ladder, type Level, type Thresholds } from '../checks/levels.ts';
import type { CheckDecl, LadderSpec, LevelSpec } from '../checks/types.ts';
import { percent } from './common.ts';

export type { LevelSpec } from '../checks/types.ts';

type LevelValues<K extends string> = { [P in K]?: number | undefined };

/** A non-negative number, for thresholds in seconds, bytes, messages… */
export const nonNegative = z.number({ error: 'must be a number ≥ 0' }).min(0, { error: 'must be a number ≥ 0' });

export interface LevelsOptions {
  /** Schema of one level's value; default: a percent 0–100. */
  readonly value?: z.ZodType<number>;
  /** `above` (default): later keys must be greater (usage). `below`: smaller (hit ratio). */
  readonly direction?: Thresholds['direction'];
}

/**
 * `{warn: 80, fail: 90}`-style levels. Each key is optional over `defaults`; once merged they
 * must be strictly ordered in the order of `keys`: ascending for `above`, descending for `below`.
 */
export function orderedLevels<const K extends string>(keys: readonly K[], defaults: LevelValues<K>, options: LevelsOptions = {}) {
  const value = options.value ?? percent;
  const below = options.direction === 'below';
  const shape = Object.fromEntries(keys.map((k) => [k, value.optional()])) as { [P in K]: z.ZodOptional<z.ZodType<number>> };
  return z.strictObject(shape).superRefine((given, ctx) => {
    let previous: { key: K; at: number; given: boolean } | undefined;
    for (const key of keys) {
      const mine = (given as LevelValues<K>)[key];
      const at = mine ?? defaults[key];
      if (at === undefined) continue;
      if (previous && (below ? at >= previous.at : at <= previous.at)) {
        const [more, less] = below ? ['less', 'greater'] : ['greater', 'less'];
        // Point at what the user wrote; defaults alone are ordered.
        if (mine !== undefined) {
          const which = `${previous.key} (${previous.at}${previous.given ? '' : ', the default'})`;
          ctx.addIssue({ code: 'custom', path: [key], message: `must be ${more} than ${which}` });
        } else {
          ctx.addIssue({ code: 'custom', path: [previous.key], message: `must be ${less} than ${key} (${at}, the default)` });
        }
      }
      previous = { key, at, given: mine !== undefined };
    }
  });
}

/** Percent levels that must ascend (disk, memory, CPU usage). */
export function ascendingPercents<const K extends string>(keys: readonly K[], defaults: LevelValues<K>) {
  return orderedLevels(keys, defaults);
}

/** Builds the ladder from a validated `orderedLevels` value and the level specs. */
export function levelLadder<K extends string>(
  given: LevelValues<K> | undefined,
  specs: readonly LevelSpec<K>[],
  direction: Thresholds['direction'] = 'above',
): Thresholds {
  const levels: Level[] = [];
  for (const spec of specs) {
    const at = given?.[spec.key] ?? spec.default;
    if (at !== undefined) levels.push({ status: spec.status, at, severity: spec.severity });
  }
  return ladder(direction, ...levels);
}

/** The `above` ladder of usage percents. */
export function percentLadder<K extends string>(given: LevelValues<K> | undefined, specs: readonly LevelSpec<K>[]): Thresholds {
  return levelLadder(given, specs, 'above');
}

export function specDefaults<K extends string>(specs: readonly LevelSpec<K>[]): LevelValues<K> {
  return Object.fromEntries(specs.map((s) => [s.key, s.default])) as LevelValues<K>;
}

/** `Space used, percent: warn (SEV4, default 70), fail (SEV2, off unless set)`. */
export function describeLadder(spec: LadderSpec): string {
  const levels = spec.levels.map((l) => `${l.key} (${l.severity}, ${l.default === undefined ? 'off unless set' : `default ${l.default}`})`);
  return `${spec.measures}${spec.direction === 'below' ? ', bad when below' : ''}: ${levels.join(', ')}`;
}

function ladderOf(check: CheckDecl): LadderSpec {
  if (!check.ladder) throw new Error(`check ${check.id} declares no threshold ladder`);
  return check.ladder;
}

/** The config field that overrides a check's ladder, `{warn: 70, fail: 95}`, described from the declaration. */
export function ladderField(check: CheckDecl) {
  const spec = ladderOf(check);
  const keys = spec.levels.map((l) => l.key);
  return orderedLevels(keys, specDefaults(spec.levels), { value: spec.values === 'percent' ? percent : nonNegative, direction: spec.direction })
    .optional()
    .describe(describeLadder(spec));
}

/** The ladder a check is judged against: the configured levels over the declared defaults. */
export function resolveLadder(check: CheckDecl, given: LevelValues<string> | undefined): Thresholds {
  const spec = ladderOf(check);
  return levelLadder(given, spec.levels, spec.direction);
}
