// Reads, validates and resolves the configuration. Every problem is reported with its path,
// all at once; nothing here touches the network. The result is a frozen ResolvedConfig.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { VigilError } from '../errors.ts';
import type { LogLevel } from '../log/logger.ts';
import type { ProbeKind, ProbeSettings } from '../probes/kind.ts';
import type { HostPaths } from '../probes/types.ts';
import { BUILTIN_SCHEDULE, resolveSchedule, type CommonProbeInput, type ProbeSchedule } from './common.ts';
import { parseDuration } from './duration.ts';
import { buildConfigSchema, type RawConfig } from './schema.ts';
import { resolveHttpConfig, type HttpConfig } from './http.ts';
import { resolveTracingConfig, type TracingConfig } from '../telemetry/settings.ts';

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
}

export const DEFAULT_PORT = 9477;
const DEFAULT_DESCRIPTION = 'Vigil node agent: health of this node and its dependencies';

/** Environment variables that override config file settings, and where they land. */
export const ENV_OVERRIDES: readonly { env: string; path: readonly string[]; kind: 'int' | 'string' }[] = [
  { env: 'VIGIL_PORT', path: ['http', 'port'], kind: 'int' },
  { env: 'VIGIL_HTTP_HOST', path: ['http', 'host'], kind: 'string' },
  { env: 'VIGIL_INTERVAL', path: ['defaults', 'interval'], kind: 'string' },
  { env: 'VIGIL_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { env: 'VIGIL_HOST_ROOT', path: ['host', 'root'], kind: 'string' },
];

export interface LoadOptions {
  /** --config, else VIGIL_CONFIG, else none (zero-config defaults). */
  readonly path?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly kinds: readonly ProbeKind[];
}

export async function loadConfig(options: LoadOptions): Promise<ResolvedConfig> {
  const path = options.path ?? (options.env.VIGIL_CONFIG || undefined);
  let text = '';
  if (path) {
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      throw new VigilError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${reason}`);
    }
  }
  return resolveConfigText(text, path ?? null, options.env, options.kinds);
}

/** Validates YAML text (may be empty) plus environment overrides. Throws VigilError with every problem. */
export function resolveConfigText(text: string, source: string | null, env: NodeJS.ProcessEnv, kinds: readonly ProbeKind[]): ResolvedConfig {
  const where = source ?? 'config';
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      // prettyErrors appends "at line L, column C:" and a code excerpt; keep the first sentence.
      const first = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${first}`;
    });
    throw new VigilError('CONFIG_INVALID', `${where} is not valid YAML`, problems);
  }
  const parsed: unknown = doc.toJS() ?? {};
  return resolveConfig(parsed, source, env, kinds);
}

export function resolveConfig(input: unknown, source: string | null, env: NodeJS.ProcessEnv, kinds: readonly ProbeKind[]): ResolvedConfig {
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

  const result = buildConfigSchema(kinds).safeParse(raw, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, label));
    throw new VigilError('CONFIG_INVALID', `${where} is invalid`, problems);
  }
  const config = result.data as RawConfig;

  const defaults = resolveSchedule(config.defaults as CommonProbeInput | undefined, BUILTIN_SCHEDULE);
  checkTimeout(defaults, 'defaults', problems);
  const http = resolveHttpConfig(config.http, DEFAULT_PORT, (path, message) => problems.push(`${label(path.split('.'))}: ${message}`));
  const probes: ProbeSettings<unknown>[] = [];
  for (const kind of kinds) {
    const section = config.probes?.[kind.key];
    const before = problems.length;
    const settings = kind.resolve({ section, defaults, env }, (path, message) => {
      problems.push(`${label(['probes', kind.key, ...path.split('.').filter(Boolean)])}: ${message}`);
    });
    if (problems.length > before) continue;
    for (const s of settings) {
      checkTimeout(s.schedule, `probes.${kind.key}`, problems);
      if (probes.some((p) => p.name === s.name)) problems.push(`probes.${kind.key}: probe name ${s.name} is used twice`);
      probes.push(s);
    }
  }
  if (problems.length > 0) throw new VigilError('CONFIG_INVALID', `${where} is invalid`, problems);

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
    http,
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
