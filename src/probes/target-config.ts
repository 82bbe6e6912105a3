// Config shared by the kinds whose targets are servers reached over one connection (postgres,
// redis): credential and timeout fields, default names, URL checks that never echo the URL.
import { duration, type ProbeSchedule } from '../config/common.ts';
import { formatDuration, parseDuration } from '../config/duration.ts';
import { passwordFields } from '../config/secrets.ts';
import type { ReportProblem } from './kind.ts';

/** Config fields every connection-based target shares (PostgreSQL, Redis). */
export const connectionFields = {
  ...passwordFields,
  connect_timeout: duration.optional().describe("Deadline to open and authenticate the connection; default 80 % of the probe's timeout"),
};

export interface ConnectionTimeouts {
  readonly connectTimeoutMs: number;
  /** Deadline of one query / command. */
  readonly commandTimeoutMs: number;
}

/**
 * Connect and command deadlines: shorter than the run's timeout, so a dead server fails the
 * probe's own checks with a clear message before the runner aborts the run.
 */
export function resolveTimeouts(
  given: { readonly connect?: string | undefined; readonly command?: string | undefined; readonly commandKey: string },
  schedule: ProbeSchedule,
  report: ReportProblem,
): ConnectionTimeouts {
  const fallback = Math.max(1, Math.round(schedule.timeoutMs * 0.8));
  const pick = (text: string | undefined, key: string): number => {
    if (text === undefined) return fallback;
    const ms = parseDuration(text) as number;
    if (ms >= schedule.timeoutMs) report(key, `must be shorter than the probe's timeout (${formatDuration(schedule.timeoutMs)})`);
    return ms;
  };
  return { connectTimeoutMs: pick(given.connect, 'connect_timeout'), commandTimeoutMs: pick(given.command, given.commandKey) };
}

/** `host:port` from a URL, the default name of a target; undefined when it cannot be parsed. */
export function hostPortName(url: string, defaultPort: number): string | undefined {
  try {
    const u = new URL(url);
    if (!u.hostname) return undefined;
    return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || defaultPort}`;
  } catch {
    return undefined;
  }
}

/** Env targets skip the schema: check the URL here too. Never echoes it (it may hold a password). */
export function parseUrl(text: string, protocol: RegExp, what: string, report: ReportProblem): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // fall through
  }
  if (!url || !protocol.test(url.protocol)) {
    report('url', `must be ${what}`);
    return new URL('invalid://invalid');
  }
  return url;
}

/**
 * decodeURIComponent for one part of a target URL (user, password, host, database). A stray `%`
 * (`redis://:50%off@h`) is reported on `url`, never echoed: the part may be a password.
 */
export function decodeUrlPart(text: string, part: string, report: ReportProblem): string {
  try {
    return decodeURIComponent(text);
  } catch {
    report('url', `the ${part} is not valid percent-encoding (write a literal % as %25)`);
    return '';
  }
}
