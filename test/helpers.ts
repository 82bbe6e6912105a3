// Shared test helpers: a logger that keeps its lines, a scriptable probe, the log schema.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createLogger, type Logger, type LogLevel } from '../src/log/logger.ts';
import { gauge } from '../src/metrics/family.ts';
import type { CheckDecl, Collection, Probe } from '../src/probes/types.ts';
import type { ProbeSettings } from '../src/probes/kind.ts';
import { BUILTIN_SCHEDULE, type ProbeSchedule } from '../src/config/common.ts';

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  readonly raw: string[];
}

export function captureLogs(level: LogLevel = 'debug'): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    service: 'vigil',
    host: 'test-host',
    destination: {
      write(chunk: string) {
        for (const line of chunk.split('\n').filter(Boolean)) {
          raw.push(line);
          const parsed = JSON.parse(line) as Record<string, unknown>;
          const duplicates = duplicateJsonKeys(line);
          // JSON.parse keeps the last of two equal keys; strict parsers (Elasticsearch) reject the line.
          if (duplicates.length > 0) Object.defineProperty(parsed, DUPLICATE_KEYS, { value: duplicates, enumerable: false });
          lines.push(parsed);
        }
      },
    },
  });
  return { logger, lines, raw };
}

const schema = JSON.parse(readFileSync(new URL('../deploy/logging/log-line.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateLine = ajv.compile(schema);

const DUPLICATE_KEYS = Symbol('duplicate keys');

/**
 * Keys that appear twice in one JSON object of `text` (as `path.key`). JSON.parse hides them:
 * it keeps the last one. A small scanner over valid JSON: strings, objects, arrays.
 */
export function duplicateJsonKeys(text: string): string[] {
  const found: string[] = [];
  const stack: { keys: Set<string> | null; expectKey: boolean }[] = [];
  let i = 0;
  const readString = (): string => {
    let out = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        out += text.slice(i, i + 2);
        i += 2;
      } else out += text[i++];
    }
    i++;
    return JSON.parse(`"${out}"`) as string;
  };
  while (i < text.length) {
    const c = text[i] as string;
    const top = stack.at(-1);
    if (c === '{') {
      stack.push({ keys: new Set(), expectKey: true });
      i++;
    } else if (c === '[') {
      stack.push({ keys: null, expectKey: false });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      if (top?.keys) top.expectKey = true;
      i++;
    } else if (c === '"') {
      const value = readString();
      if (top?.keys && top.expectKey) {
        if (top.keys.has(value)) found.push(value);
        top.keys.add(value);
        top.expectKey = false;
      }
    } else i++;
  }
  return found;
}

/** Returns the schema errors of one parsed log line (and keys it carried twice), or [] when valid. */
export function logLineErrors(line: unknown): string[] {
  const duplicates = ((line as Record<symbol, unknown> | null)?.[DUPLICATE_KEYS] as string[] | undefined) ?? [];
  const errors = duplicates.map((key) => `key ${key} appears twice`);
  if (validateLine(line)) return errors;
  return [...errors, ...(validateLine.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)];
}

export const testCheck: CheckDecl = Object.freeze({
  id: 'test:value',
  componentType: 'component',
  component: 'the scripted component',
  unit: 'percent',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV2',
  description: 'a scripted value',
});

export const testMetric = gauge('vigil_test_value_ratio', 'A scripted value.', ['item']);

type Step = Collection | Error | 'hang' | ((signal: AbortSignal) => Promise<Collection>);

/** A probe whose runs follow a script; the last step repeats. */
export class ScriptedProbe implements Probe {
  readonly kind = 'test';
  readonly name: string;
  readonly metrics = [testMetric];
  readonly checks = [testCheck];
  calls = 0;
  stopped = false;
  private readonly steps: Step[];

  constructor(name: string, steps: Step[]) {
    this.name = name;
    this.steps = steps;
  }
  async start(): Promise<void> {}
  async collect(signal: AbortSignal): Promise<Collection> {
    const step = this.steps[Math.min(this.calls, this.steps.length - 1)] as Step;
    this.calls++;
    if (step === 'hang') return new Promise<Collection>(() => {});
    if (step instanceof Error) throw step;
    if (typeof step === 'function') return step(signal);
    return step;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** A collection with one threshold-evaluated value (warn ≥ 70, fail ≥ 90) for `componentId`. */
export function valueCollection(value: number, componentId = 'c1'): Collection {
  return {
    samples: [{ metric: testMetric, labels: { item: componentId }, value: value / 100 }],
    checks: [
      {
        check: testCheck,
        componentId,
        observedValue: value,
        thresholds: {
          direction: 'above',
          levels: [
            { status: 'warn', at: 70, severity: 'SEV3' },
            { status: 'fail', at: 90, severity: 'SEV2' },
          ],
        },
      },
    ],
    errors: [],
  };
}

export function schedule(overrides: Partial<ProbeSchedule> = {}): ProbeSchedule {
  return { ...BUILTIN_SCHEDULE, ...overrides };
}

export function settingsFor(name: string, overrides: Partial<ProbeSchedule> = {}): ProbeSettings<unknown> {
  return { kind: 'test', name, schedule: schedule(overrides), options: {} };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until true or `timeoutMs` elapses. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await delay(stepMs);
  }
}

export interface SpawnedAgent {
  readonly child: ChildProcess;
  /** stdout lines as they arrive. */
  readonly lines: string[];
  readonly base: string;
  readonly exit: Promise<number | null>;
}

/**
 * The real agent (`node src/main.ts`) with `args` and an environment of the parent's minus
 * VIGIL_* and OTEL_* settings, plus `env`. Killed by the caller's teardown.
 */
/**
 * Starts the agent: `node src/main.ts`, or with `launcher: 'bin/vigil'` (also `npm start`) as the
 * image and the manifests run it (V8 limits, malloc arenas; pass NODE_COMPILE_CACHE of a cache
 * warmed by `bin/vigil warm-cache` in `env`).
 */
export function spawnAgent(port: number, args: readonly string[], env: NodeJS.ProcessEnv, launcher: 'node' | 'bin/vigil' = 'node'): SpawnedAgent {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VIGIL|OTEL)_|^GLIBC_TUNABLES$|^NODE_COMPILE_CACHE$/.test(k)));
  const [command, argv] = launcher === 'node' ? [process.execPath, ['src/main.ts', ...args]] : [new URL('../bin/vigil', import.meta.url).pathname, [...args]];
  const child = spawn(command, argv, {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...inherited, VIGIL_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(`[agent stderr] ${chunk}`));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, lines, base: `http://127.0.0.1:${port}`, exit };
}
