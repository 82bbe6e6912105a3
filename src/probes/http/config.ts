// The `probes.http` section: any number of HTTP(S) endpoints, each one probe instance with its
// own keep-alive connection.
import { z } from 'zod';
import { duration, positiveInt, type ProbeSchedule } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { tlsExpiry } from '../certificates/metadata.ts';
import { DEFAULT_TLS, resolveTls, tlsBlock, type TlsSettings } from '../../config/tls.ts';
import { redactUrl } from '../../redact.ts';
import type { ReportDeprecated, ReportProblem } from '../kind.ts';
import { hostPortName, parseUrl, resolveTimeouts } from '../target-config.ts';
import { targetFields, targetInstances, targetsSection } from '../targets.ts';
import { parseJsonPath, type JsonPath } from './json.ts';
import * as m from './metadata.ts';
import type { KindConfig } from '../kind.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_LATENCY_WINDOW = 20;
/** follow_redirects: true follows at most this many, as curl's --max-redirs would be set. */
export const MAX_REDIRECTS = 5;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Hop-by-hop and framing headers are the client's to set: a wrong one breaks the exchange.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer']);
const headerText = z.string({ error: 'must be a string' }).regex(/^[^\r\n\0]*$/, { error: 'must be one line' });

const headerValue = z.union(
  [
    headerText,
    z.strictObject({
      file: z
        .string({ error: 'must be a file path' })
        .min(1, { error: 'must be a file path' })
        .describe('File holding the value (a mounted Kubernetes secret; a trailing newline is ignored); read at every run'),
      prefix: headerText.optional().describe('Put before the file content, e.g. "Bearer "'),
    }),
  ],
  { error: 'must be a string or { file, prefix }' },
);

/** `200`, `"2xx"`, `"200-299"`. */
const statusItem = z.union([z.number().int().min(100).max(599), z.string().regex(/^([1-5]xx|[1-5]\d\d(-[1-5]\d\d)?)$/)], {
  error: 'must be a status code (200), a class ("2xx") or a range ("200-299")',
});

const thresholdsSchema = z.strictObject({ latency: ladderField(m.latency) }).describe("Check thresholds; a target's own replace the section's, key by key");

const targetSchema = z.strictObject({
  ...targetFields,
  url: z
    .string({ error: 'must be an http:// or https:// URL' })
    .regex(/^https?:\/\//, { error: 'must be an http:// or https:// URL' })
    .describe('http(s)://[user:password@]host[:port]/path?query'),
  method: z.enum(['GET', 'HEAD'], { error: 'must be GET or HEAD' }).optional().describe('GET (default) or HEAD'),
  headers: z
    .record(z.string().regex(HEADER_NAME, { error: 'must be a header name' }), headerValue, { error: 'must be a map of header names to values' })
    .optional()
    .describe(
      'Request headers; a value is a string or { file, prefix } (a bearer token in a Kubernetes secret). Values never appear in any output, and are not sent on after a redirect to another origin',
    ),
  expect_status: z
    .array(statusItem, { error: 'must be a list of status codes, classes ("2xx") or ranges ("200-299")' })
    .min(1)
    .optional()
    .describe('Statuses that pass; default ["2xx"]'),
  body: z
    .strictObject({
      contains: z.string({ error: 'must be a string' }).min(1).optional().describe('Substring the body must contain'),
      regex: z.string({ error: 'must be a regular expression' }).min(1).optional().describe('Regular expression (JavaScript syntax) the body must match'),
    })
    .optional()
    .describe('Body match on the first max_body_size bytes: contains or regex'),
  json: z
    .strictObject({
      path: z.string({ error: 'must be a path such as status or checks.db[0].status' }).min(1).describe('Field of the JSON body: a.b, a[0].b, $.a.b'),
      equals: z
        .union([z.string(), z.number(), z.boolean(), z.null()], { error: 'must be a string, number, boolean or null' })
        .describe('Value the field must have'),
    })
    .optional()
    .describe('JSON field match on the body'),
  follow_redirects: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe(`Follow redirects, at most ${MAX_REDIRECTS}; default false (a 3xx is judged against expect_status)`),
  keep_alive: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe('Keep the connection open between runs (default true); false opens one per run'),
  request_timeout: duration.optional().describe("Deadline of the whole request, DNS and redirects included; default 80 % of the probe's timeout"),
  max_body_size: positiveInt.optional().describe('Bytes of the body read at most (then the connection is dropped); default 1048576 (1 MiB)'),
  latency_window: positiveInt.max(10_000).optional().describe(`Runs the latency p95 is computed over; default ${DEFAULT_LATENCY_WINDOW}`),
  tls: tlsBlock.optional().describe('TLS files and options for an https:// URL'),
  thresholds: thresholdsSchema.optional(),
  expiry_thresholds: ladderField(tlsExpiry),
});

export const httpSchema = targetsSection(targetSchema, { thresholds: thresholdsSchema.optional(), expiry_thresholds: ladderField(tlsExpiry) }).describe(
  `HTTP(S) endpoints (env ${m.URL_ENV}: comma-separated URLs)`,
);

export type HttpSection = z.infer<typeof httpSchema>;
type HttpTarget = z.infer<typeof targetSchema>;

/** A configured request header: inline, or read from a file at every run. */
export type HeaderSource =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly file: string; readonly prefix: string; readonly key: string };

export interface StatusRange {
  readonly from: number;
  readonly to: number;
}

export type BodyMatch = { readonly contains: string } | { readonly regex: RegExp };

export interface HttpOptions {
  readonly target: string;
  /** The URL with the password masked and the query dropped: what outputs show. */
  readonly display: string;
  /** The URL as configured (it may carry a password: never shown). */
  readonly url: string;
  readonly method: 'GET' | 'HEAD';
  readonly headers: readonly HeaderSource[];
  readonly expect: readonly StatusRange[];
  /** expect_status as written, for outputs: `2xx`, `200, 301`. */
  readonly expectText: string;
  readonly body: BodyMatch | undefined;
  readonly json: { readonly path: JsonPath; readonly pathText: string; readonly equals: string | number | boolean | null } | undefined;
  readonly maxRedirects: number;
  readonly keepAlive: boolean;
  readonly requestTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly latencyWindow: number;
  /** For an https:// URL; null for http://. */
  readonly tls: TlsSettings | null;
  readonly intervalMs: number;
  readonly thresholds: { readonly latency: Thresholds };
  /** tls:expiry of the certificate chain of an https:// answer. */
  readonly expiryThresholds: Thresholds;
}

function statusRange(item: number | string): StatusRange {
  if (typeof item === 'number') return { from: item, to: item };
  if (item.endsWith('xx')) {
    const base = Number(item[0]) * 100;
    return { from: base, to: base + 99 };
  }
  const [from = '0', to = from] = item.split('-');
  return { from: Number(from), to: Number(to) };
}

function resolveOptions(target: HttpTarget, section: HttpSection, schedule: ProbeSchedule, report: ReportProblem, deprecated: ReportDeprecated): HttpOptions {
  const url = parseUrl(target.url, /^https?:$/, 'an http:// or https:// URL', report);
  const secure = url.protocol === 'https:';
  const name = target.name ?? hostPortName(target.url, secure ? 443 : 80) ?? 'http';
  const tls = resolveTls(target.tls, [], report, deprecated);
  if (!secure && tls) report('url', 'TLS settings need an https:// URL');

  const headers: HeaderSource[] = [];
  for (const [header, value] of Object.entries(target.headers ?? {})) {
    if (RESERVED_HEADERS.has(header.toLowerCase())) report(`headers.${header}`, 'is set by the client itself');
    headers.push(
      typeof value === 'string' ? { name: header, value } : { name: header, file: value.file, prefix: value.prefix ?? '', key: `headers.${header}.file` },
    );
  }

  const expectGiven = target.expect_status ?? ['2xx'];
  const expect = expectGiven.map(statusRange);
  expect.forEach((r, i) => {
    if (r.from > r.to) report(`expect_status.${i}`, 'must be a range from low to high');
  });

  let body: BodyMatch | undefined;
  if (target.body) {
    const { contains, regex } = target.body;
    if ((contains === undefined) === (regex === undefined)) report('body', 'needs exactly one of contains and regex');
    if (regex !== undefined) {
      try {
        body = { regex: new RegExp(regex) };
      } catch (err) {
        report('body.regex', `is not a valid regular expression: ${(err as Error).message}`);
      }
    } else if (contains !== undefined) body = { contains };
  }
  if (target.method === 'HEAD' && (target.body || target.json)) report(target.body ? 'body' : 'json', 'needs a body: HEAD has none (use GET)');

  let json: HttpOptions['json'];
  if (target.json) {
    const path = parseJsonPath(target.json.path);
    if (!path) report('json.path', 'must be a path such as status, checks.db[0].status or $.data.state');
    else json = Object.freeze({ path, pathText: target.json.path, equals: target.json.equals });
  }

  const timeouts = resolveTimeouts({ command: target.request_timeout, commandKey: 'request_timeout' }, schedule, report);
  const t = { ...section.thresholds, ...target.thresholds };
  return Object.freeze({
    target: name,
    display: redactUrl(target.url),
    url: target.url,
    method: target.method ?? 'GET',
    headers: Object.freeze(headers.map((h) => Object.freeze(h))),
    expect: Object.freeze(expect.map((r) => Object.freeze(r))),
    expectText: expectGiven.join(', '),
    body,
    json,
    maxRedirects: target.follow_redirects ? MAX_REDIRECTS : 0,
    keepAlive: target.keep_alive ?? true,
    requestTimeoutMs: timeouts.commandTimeoutMs,
    maxBodyBytes: target.max_body_size ?? DEFAULT_MAX_BODY_BYTES,
    latencyWindow: target.latency_window ?? DEFAULT_LATENCY_WINDOW,
    tls: secure ? (tls ?? DEFAULT_TLS) : null,
    intervalMs: schedule.intervalMs,
    thresholds: Object.freeze({ latency: resolveLadder(m.latency, t.latency) }),
    expiryThresholds: resolveLadder(tlsExpiry, target.expiry_thresholds ?? section.expiry_thresholds),
  });
}

export const resolveHttp = targetInstances<HttpSection, HttpTarget, HttpOptions>({
  key: m.HTTP.key,
  envVar: m.URL_ENV,
  fromEnv: (item) => ({ url: item }),
  defaultName: (target) => hostPortName(target.url, target.url.startsWith('https:') ? 443 : 80),
  options: resolveOptions,
});

/** The `probes.http` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const httpConfig: KindConfig<HttpSection, HttpOptions> = { schema: httpSchema, resolve: resolveHttp };
