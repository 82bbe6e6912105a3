// JSON logs in the operations logging convention (runbook 004, section 5):
// timestamp, level, service, component, message, host always; request_id, trace_id, span_id,
// correlation_id, tenant_id, user_id, status, duration_ms, path, severity_label when known.
// Documented extras: `event`, `details`, `error` (see deploy/logging/log-line.schema.json).
import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import { activeTraceFields } from './log-context.ts';

export type Logger = PinoLogger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

const LEVEL_LABEL: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
};

/** Paths pino blanks wherever they appear in a log call's object. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'details.url',
  'details.connection_string',
  'headers.authorization',
  'details.headers.authorization',
];

export interface LoggerSettings {
  readonly level: LogLevel;
  readonly service: string;
  readonly host?: string;
  /** Defaults to stdout, written synchronously so nothing is lost when the process exits. */
  readonly destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    messageKey: 'message',
    errorKey: 'error',
    base: { service: settings.service, host: settings.host ?? hostname() },
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: {
      level: (label) => ({ level: LEVEL_LABEL[label] ?? label.toUpperCase() }),
    },
    serializers: {
      error: serializeError,
    },
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    // A line written inside a span (a probe run, a traced request) carries its trace_id/span_id.
    mixin: activeTraceFields,
  };
  const root = pino(options, settings.destination ?? pino.destination({ fd: 1, sync: true }));
  const agent = root.child({ component: 'agent' });
  roots.set(agent, root);
  return agent;
}

// pino serialises child bindings once and appends them, so a child of a child that sets
// `component` again would print the key twice; component loggers are made from the root.
const roots = new WeakMap<Logger, Logger>();

/** Errors as `{type, message, code}`: no stack traces in production logs unless debugging. */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) {
    const plain = err as { type?: unknown; message?: unknown; code?: unknown } | null;
    if (plain && typeof plain === 'object' && typeof plain.message === 'string') {
      const out: Record<string, unknown> = { type: typeof plain.type === 'string' ? plain.type : 'Error', message: plain.message };
      if (typeof plain.code === 'string' || typeof plain.code === 'number') out.code = plain.code;
      return out;
    }
    return { type: typeof err, message: String(err) };
  }
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  return out;
}

/** A child logger for one part of the agent: sets `component`. */
export function componentLogger(parent: Logger, component: string): Logger {
  const root = roots.get(parent) ?? parent;
  const child = root.child({ component });
  roots.set(child, root);
  return child;
}
