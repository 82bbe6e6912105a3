// The `probes.backups` section: rules naming backup files by a glob, with their age, size and
// retention limits. No rules: no probe (zero-config has nothing to watch).
import { z } from 'zod';
import { commonProbeFields, duration, innerTimeoutMs, positiveInt, resolveSchedule } from '../../config/common.ts';
import { parseDuration } from '../../config/duration.ts';
import type { ProbeSection } from '../kind.ts';
import type { KindConfig } from '../kind.ts';

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;
const SIZE_ERROR = 'must be a number of bytes or a size such as 500KiB, 1MiB, 2GB';

/** Bytes of a validated size: `1MiB` → 1048576, `2GB` → 2e9, `512` → 512. */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const [, amount, unit] = SIZE.exec(size.trim()) as RegExpExecArray;
  return Math.round(Number(amount) * (SIZE_UNITS[unit as string] as number));
}

const size = z.union(
  [
    z.number({ error: SIZE_ERROR }).int({ error: SIZE_ERROR }).min(0, { error: SIZE_ERROR }),
    z.string({ error: SIZE_ERROR }).regex(SIZE, { error: SIZE_ERROR }),
  ],
  { error: SIZE_ERROR },
);

const pattern = z.string({ error: 'must be an absolute path, * ? […] allowed in its segments' }).superRefine((path, ctx) => {
  if (!path.startsWith('/')) ctx.addIssue({ code: 'custom', message: 'must be an absolute path, as the host sees it (the host root is prefixed)' });
  const parts = path.split('/');
  if (parts.includes('..')) ctx.addIssue({ code: 'custom', message: 'must not contain `..`' });
  if (parts.some((p) => p.includes('**'))) ctx.addIssue({ code: 'custom', message: '`**` is not supported: one `*` per directory level' });
  if (path.endsWith('/')) ctx.addIssue({ code: 'custom', message: 'must name files, not a directory' });
});

export const DEFAULT_MIN_SIZE = 1;

const rule = z.strictObject({
  name: z
    .string({ error: 'must be a name (the `rule` label and the check component)' })
    .min(1, { error: 'must not be empty' })
    .describe('The `rule` label and the check component'),
  path: pattern.describe('Glob of the backup files as the host sees it, `*` `?` `[…]` per segment: `/backups/*/orchestrator-full.sql`'),
  max_age: duration.describe('The newest match older than this fails (e.g. 26h for a daily backup)'),
  min_size: size
    .optional()
    .describe(`The newest match smaller than this fails (bytes or 500KiB, 1MiB, 2GB; default ${DEFAULT_MIN_SIZE}: an empty file is no backup)`),
  min_count: positiveInt.optional().describe('Fewer matching files than this warns (retention: "keep 30 days" of daily backups is 30)'),
});

export const backupsSchema = z.strictObject({
  ...commonProbeFields,
  rules: z
    .array(rule)
    .optional()
    .superRefine((rules, ctx) => {
      const seen = new Set<string>();
      for (const [i, r] of (rules ?? []).entries()) {
        if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${r.name}" is used by an earlier rule` });
        seen.add(r.name);
      }
    })
    .describe('The backup files to watch; none: the probe is off'),
  scan_timeout: duration.optional().describe("Deadline of one rule's directory scan; default 80 % of the probe's timeout"),
});

export type BackupsSection = z.infer<typeof backupsSchema>;

export interface BackupRule {
  readonly name: string;
  readonly path: string;
  readonly maxAgeMs: number;
  readonly minSizeBytes: number;
  readonly minCount: number | null;
}

export interface BackupsOptions {
  readonly rules: readonly BackupRule[];
  readonly scanTimeoutMs: number;
}

export const resolveBackups: ProbeSection<BackupsSection, BackupsOptions>['resolve'] = ({ section, defaults }, report) => {
  const schedule = resolveSchedule(section, defaults);
  const rules = section?.rules ?? [];
  if (rules.length === 0) {
    if (section?.enabled === true) report('rules', 'enabled, but no rule names a backup to watch');
    return [];
  }
  if (!schedule.enabled) return [];
  const options: BackupsOptions = Object.freeze({
    rules: Object.freeze(
      rules.map((r) =>
        Object.freeze({
          name: r.name,
          path: r.path,
          maxAgeMs: parseDuration(r.max_age) as number,
          minSizeBytes: r.min_size !== undefined ? parseSize(r.min_size) : DEFAULT_MIN_SIZE,
          minCount: r.min_count ?? null,
        }),
      ),
    ),
    scanTimeoutMs: innerTimeoutMs(section?.scan_timeout, 'scan_timeout', schedule, report),
  });
  return [Object.freeze({ kind: 'backups', name: 'backups', schedule, options })];
};

/** The `probes.backups` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const backupsConfig: KindConfig<BackupsSection, BackupsOptions> = { schema: backupsSchema, resolve: resolveBackups };
