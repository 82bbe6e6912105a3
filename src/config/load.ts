// Reads, validates and resolves the configuration. Every problem is reported with its path,
// all at once; nothing here touches the network. The result is a frozen ResolvedConfig.
import { constants as fsConstants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { VigilError } from '../errors.ts';
import type { LogLevel } from '../log/logger.ts';
import type { HostPaths, ProbeSection, ProbeSettings } from './probe-config.ts';
import { z } from 'zod';
import { BUILTIN_SCHEDULE, commonProbeFields, resolveSchedule, type CommonProbeInput, type ProbeSchedule } from './common.ts';
import { deprecation, type Deprecation } from './deprecation.ts';
import { buildConfigSchema, type RawConfig } from './schema.ts';
import { httpSection, resolveHttpConfig, type HttpConfig } from './http.ts';
import { resolveTracingConfig, type TracingConfig } from './tracing.ts';
import { DEFAULT_PORT, ENV_OVERRIDES } from './env.ts';

export { DEFAULT_PORT, ENV_OVERRIDES } from './env.ts';

export interface Identity {
  /** Kubernetes node (downward API NODE_NAME), else the host name. */
  readonly nodeName: string;
  readonly podName: string | null;
  readonly namespace: string | null;
  readonly hostname: string;
}

export interface ResolvedConfig {
  /** The file it came from, or null for zero-config. */
  readonly source: string | null;
  readonly service: { readonly name: string; readonly description: string };
  readonly http: HttpConfig;
  readonly log: { readonly level: LogLevel };
  /** The `tracing:` section; OTEL_* variables are applied over it when tracing starts. */
  readonly tracing: TracingConfig;
  readonly host: HostPaths;
  readonly defaults: ProbeSchedule;
  readonly probes: readonly ProbeSettings<unknown>[];
  readonly identity: Identity;
  /** Former keys the file still uses: they work for this release; the agent logs each at start. */
  readonly deprecations: readonly Deprecation[];
}

const DEFAULT_DESCRIPTION = 'Vigil node agent: health of this node and its dependencies';

export interface LoadOptions {
  /** --config, else VIGIL_CONFIG, else none (zero-config defaults). */
  readonly path?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly kinds: readonly ProbeSection[];
}

/** A config file larger than this is refused unread: parsing it would cost seconds and gigabytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** At most this many problems are listed; the rest are counted. */
export const MAX_PROBLEMS = 50;

export async function loadConfig(options: LoadOptions): Promise<ResolvedConfig> {
  const path = options.path ?? (options.env.VIGIL_CONFIG || undefined);
  const text = path ? await readConfigFile(path) : '';
  return resolveConfigText(text, path ?? null, options.env, options.kinds);
}

/** Reads a config file: a regular file of at most MAX_CONFIG_BYTES (a FIFO or device would block or never end). */
async function readConfigFile(path: string): Promise<string> {
  const unreadable = (reason: string) => new VigilError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${reason}`);
  const describe = (err: unknown) => ((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message);
  try {
    // stat first: opening a FIFO blocks until a writer shows up.
    if (!(await stat(path)).isFile()) throw unreadable('not a regular file');
    // O_NONBLOCK too, in case the path was swapped for a FIFO since the stat.
    const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw unreadable('not a regular file');
      if (info.size > MAX_CONFIG_BYTES) throw unreadable(`larger than 1 MiB (${info.size} bytes)`);
      const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > MAX_CONFIG_BYTES) throw unreadable('larger than 1 MiB');
      return buffer.toString('utf8', 0, length);
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof VigilError) throw err;
    throw unreadable(describe(err));
  }
}

/** The error for an invalid config: at most MAX_PROBLEMS problems, then how many more there are. */
function invalid(message: string, problems: readonly string[]): VigilError {
  if (problems.length <= MAX_PROBLEMS) return new VigilError('CONFIG_INVALID', message, problems);
  return new VigilError('CONFIG_INVALID', message, [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more problems`]);
}

/** Validates YAML text (may be empty) plus environment overrides. Throws VigilError with every problem. */
export function resolveConfigText(text: string, source: string | null, env: NodeJS.ProcessEnv, kinds: readonly ProbeSection[]): ResolvedConfig {
  const where = source ?? 'config';
  const lines = new LineCounter();
  // yaml's own uniqueKeys check compares every key with every other (40k keys: minutes);
  // duplicateKeys() does it with a Set.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines });
  const problems = doc.errors.map((e) => {
    const pos = e.linePos?.[0];
    // prettyErrors appends "at line L, column C:" and a code excerpt; keep the first sentence.
    const first = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${first}`;
  });
  if (problems.length === 0) problems.push(...duplicateKeys(doc, lines));
  if (problems.length > 0) throw invalid(`${where} is not valid YAML`, problems);
  let parsed: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); an alias to an anchor that was
    // never set is found only here, as a ReferenceError.
    parsed = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw invalid(`${where} is not valid YAML`, [aliasProblem(text, err)]);
  }
  return resolveConfig(parsed, source, env, kinds);
}

/** Keys given twice in one mapping, in linear time. The key is not echoed (the value might follow it on screen). */
function duplicateKeys(doc: ReturnType<typeof parseDocument>, lines: LineCounter): string[] {
  const found: string[] = [];
  visit(doc, {
    Map(_key, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        const pos = offset !== undefined ? lines.linePos(offset) : undefined;
        found.push(`${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}map keys must be unique`);
      }
    },
  });
  return found;
}

/** "line L, column C: message" for an alias error: the first alias in the text, as YAML gives no position. */
function aliasProblem(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const alias = /alias(?: \(.*\))?: (\S+)$/.exec(message)?.[1];
  const summary = message.startsWith('Excessive alias count') ? 'aliases expand to too many nodes (at most 100 alias uses)' : message.slice(0, 200);
  if (alias === undefined) return summary;
  const at = new RegExp(`\\*${alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).exec(text);
  if (!at) return summary;
  const before = text.slice(0, at.index).split('\n');
  return `line ${before.length}, column ${(before.at(-1) ?? '').length + 1}: ${summary}`;
}

export function resolveConfig(input: unknown, source: string | null, env: NodeJS.ProcessEnv, kinds: readonly ProbeSection[]): ResolvedConfig {
  const where = source ?? 'config';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new VigilError('CONFIG_INVALID', `${where} is invalid`, ['(top level): must be a mapping of settings']);
  }
  const { raw, fromEnv } = applyEnv(input as Record<string, unknown>, env);
  const problems: string[] = [];
  const label = (path: readonly PropertyKey[]): string => {
    const dotted = path.map(String).join('.');
    const envName = fromEnv.get(dotted);
    return envName ? `${dotted} (from ${envName})` : dotted || '(top level)';
  };

  // Schema problems and cross-field problems are found in one pass: a section the schema
  // rejected is skipped by the cross-field rules, every other section still gets them.
  const result = buildConfigSchema(kinds).safeParse(raw, { reportInput: true });
  const rejected = new Set<string>();
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push(...describeIssue(issue, label));
      if (issue.path.length > 0) rejected.add(issue.path.slice(0, 2).map(String).join('.'));
    }
  }
  const defaultsInput = rejected.has('defaults') ? undefined : z.strictObject(commonProbeFields).optional().safeParse(raw.defaults);
  const defaults = resolveSchedule(defaultsInput?.success ? (defaultsInput.data as CommonProbeInput | undefined) : undefined, BUILTIN_SCHEDULE);
  if (defaultsInput?.success) checkTimeout(defaults, 'defaults', problems);
  const rawProbes = raw.probes;
  const probesUsable = rawProbes === undefined || rawProbes === null || (typeof rawProbes === 'object' && !Array.isArray(rawProbes));
  const httpInput = rejected.has('http') ? undefined : httpSection.safeParse(raw.http);
  const http = httpInput?.success
    ? resolveHttpConfig(httpInput.data, DEFAULT_PORT, (path, message) => problems.push(`${label(path.split('.'))}: ${message}`))
    : undefined;
  const probes: ProbeSettings<unknown>[] = [];
  const deprecations: Deprecation[] = [];
  for (const kind of kinds) {
    if (!probesUsable || rejected.has(`probes.${kind.key}`)) continue;
    const parsed = (kind.schema as z.ZodType).optional().safeParse((rawProbes as Record<string, unknown> | null | undefined)?.[kind.key]);
    if (!parsed.success) continue;
    const section = parsed.data;
    const before = problems.length;
    const at = (path: string) => label(['probes', kind.key, ...path.split('.').filter(Boolean)]);
    const settings = kind.resolve(
      { section, defaults, env },
      (path, message) => problems.push(`${at(path)}: ${message}`),
      (path, replacement) => deprecations.push(deprecation(at(path), at(replacement))),
    );
    if (problems.length > before) continue;
    for (const s of settings) {
      checkTimeout(s.schedule, `probes.${kind.key}`, problems);
      if (probes.some((p) => p.name === s.name)) problems.push(`probes.${kind.key}: probe name ${s.name} is used twice`);
      probes.push(s);
    }
  }
  if (problems.length > 0 || !result.success) throw invalid(`${where} is invalid`, problems);
  const config = result.data as RawConfig;

  const root = config.host?.root;
  const host: HostPaths = {
    proc: config.host?.proc ?? (root ? join(root, 'proc') : '/proc'),
    sys: config.host?.sys ?? (root ? join(root, 'sys') : '/sys'),
    rootfs: config.host?.rootfs ?? root ?? '/',
  };
  const ownHost = hostname();
  return deepFreeze({
    source,
    service: { name: config.service?.name ?? 'vigil', description: config.service?.description ?? DEFAULT_DESCRIPTION },
    http: http as HttpConfig, // present: any problem with it has thrown above
    log: { level: config.log?.level ?? 'info' },
    tracing: resolveTracingConfig(config.tracing),
    host,
    defaults,
    probes,
    identity: {
      nodeName: env.NODE_NAME || ownHost,
      podName: env.POD_NAME || null,
      namespace: env.POD_NAMESPACE || null,
      hostname: ownHost,
    },
    deprecations,
  });
}

function checkTimeout(schedule: ProbeSchedule, path: string, problems: string[]): void {
  if (schedule.timeoutMs > schedule.intervalMs) {
    problems.push(`${path}.timeout: must not be longer than the interval (${schedule.timeoutMs}ms > ${schedule.intervalMs}ms)`);
  }
}

/** Copies the config with environment overrides applied, remembering which paths they set. */
function applyEnv(input: Record<string, unknown>, env: NodeJS.ProcessEnv): { raw: Record<string, unknown>; fromEnv: Map<string, string> } {
  const raw: Record<string, unknown> = structuredClone(input);
  const fromEnv = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const text = env[o.env];
    if (text === undefined || text === '') continue;
    let node = raw;
    for (const key of o.path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    const value = o.kind === 'int' && /^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim();
    node[o.path[o.path.length - 1] as string] = value;
    fromEnv.set(o.path.join('.'), o.env);
  }
  return { raw, fromEnv };
}

function describeIssue(issue: z.core.$ZodIssue, label: (path: readonly PropertyKey[]) => string): string[] {
  if (issue.code === 'invalid_union') {
    // `tls: true | {…}`: a mapping given fails the boolean on its type alone; the block's own
    // problems (a bad ca_file, an unknown key) are the ones worth saying.
    const typeOnly = (branch: readonly z.core.$ZodIssue[]) => branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
    const matched = issue.errors.filter((branch) => !typeOnly(branch));
    if (matched.length === 1) return (matched[0] ?? []).flatMap((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] }, label));
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${label([...issue.path, key])}: unknown key`);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [`${label(issue.path)}: is required`];
  }
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    return [`${label(issue.path)}: must be ${article(issue.expected)}`];
  }
  return [`${label(issue.path)}: ${issue.message}`];
}

function article(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
