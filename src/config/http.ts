// The `http:` section: where the agent listens, the limits that keep its health endpoints
// answering under a flood, and who may read the details. Files (token, certificate, key) are
// named here and read when the server starts, never while validating.
import { z } from 'zod';
import { duration } from './common.ts';
import { parseDuration } from './duration.ts';

const port = z
  .number({ error: 'must be an integer 1-65535' })
  .int({ error: 'must be an integer 1-65535' })
  .min(1, { error: 'must be an integer 1-65535' })
  .max(65535, { error: 'must be an integer 1-65535' });

const intRange = (min: number, max: number) =>
  z
    .number({ error: `must be an integer ${min}-${max}` })
    .int({ error: `must be an integer ${min}-${max}` })
    .min(min, { error: `must be an integer ${min}-${max}` })
    .max(max, { error: `must be an integer ${min}-${max}` });

const filePath = z.string({ error: 'must be a file path' }).min(1, { error: 'must be a file path' });

export const HEALTH_DETAILS = ['always', 'when-authorized', 'never'] as const;
export type HealthDetails = (typeof HEALTH_DETAILS)[number];

export const httpSection = z
  .strictObject({
    host: z.string().min(1).optional().describe('Address to listen on (default 0.0.0.0; env VIGIL_HTTP_HOST)'),
    port: port.optional().describe('Port of /health, /ready, /health/detailed and /metrics (default 9477; env VIGIL_PORT)'),
    probe_port: port
      .optional()
      .describe(
        'A second, plain-HTTP listener serving only /health and /ready, with its own connection limit, for the kubelet: a flood on the main port cannot starve it. Off by default (probes use port)',
      ),
    drain_delay: duration.optional().describe('After SIGTERM, how long /ready answers 503 before the server closes (default 5s)'),
    request_timeout: duration
      .optional()
      .describe('Whole-request deadline (headers and answer) and idle limit of a connection; slower clients are disconnected (default 10s, at most 5m)'),
    max_connections: intRange(1, 65535).optional().describe('Open connections the main port accepts; more are closed on accept and counted (default 256)'),
    max_concurrent_metrics: intRange(1, 1024)
      .optional()
      .describe('/metrics requests answered at once; more get 503 with Retry-After: 1 (default 4). Prometheus needs one per scraper'),
    health_details: z
      .enum(HEALTH_DETAILS, { error: `must be one of ${HEALTH_DETAILS.join(', ')}` })
      .optional()
      .describe(
        'What /health/detailed shows: always (everything, to anyone who reaches the port), when-authorized (everything with the bearer token, else status and check names only), never (status and check names only). Default: when-authorized if auth.token_file is set, else always',
      ),
    auth: z
      .strictObject({
        token_file: filePath.describe('File holding the bearer token (trailing newline ignored); re-read when it changes'),
        metrics: z.boolean({ error: 'must be true or false' }).optional().describe('Require the token for /metrics too (default false)'),
      })
      .optional()
      .describe('Bearer token for /health/detailed (and optionally /metrics); /health and /ready stay open for the kubelet'),
    tls: z
      .strictObject({
        cert_file: filePath.describe('PEM certificate chain'),
        key_file: filePath.describe('PEM private key'),
      })
      .optional()
      .describe('Serve the main port over HTTPS; both files are re-read when they change (the probe port stays plain HTTP)'),
  })
  .optional();

export type RawHttpSection = z.input<typeof httpSection>;

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  readonly probePort: number | null;
  readonly drainDelayMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConcurrentMetrics: number;
  readonly healthDetails: HealthDetails;
  readonly auth: { readonly tokenFile: string; readonly metrics: boolean } | null;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
}

export const HTTP_DEFAULTS = Object.freeze({
  host: '0.0.0.0',
  drainDelayMs: 5000,
  requestTimeoutMs: 10_000,
  maxConnections: 256,
  maxConcurrentMetrics: 4,
});
const MAX_REQUEST_TIMEOUT_MS = 5 * 60_000;

/** Resolves the validated section; cross-field problems go to `problem` with their path. */
export function resolveHttpConfig(section: RawHttpSection, defaultPort: number, problem: (path: string, message: string) => void): HttpConfig {
  const s = section ?? {};
  const ms = (text: string | undefined, fallback: number) => (text !== undefined ? (parseDuration(text) as number) : fallback);
  const port = s.port ?? defaultPort;
  const probePort = s.probe_port ?? null;
  if (probePort !== null && probePort === port) problem('http.probe_port', `must differ from http.port (${port})`);
  const requestTimeoutMs = ms(s.request_timeout, HTTP_DEFAULTS.requestTimeoutMs);
  if (requestTimeoutMs > MAX_REQUEST_TIMEOUT_MS) problem('http.request_timeout', 'must be at most 5m');
  const auth = s.auth ? { tokenFile: s.auth.token_file, metrics: s.auth.metrics ?? false } : null;
  const healthDetails = s.health_details ?? (auth ? 'when-authorized' : 'always');
  if (healthDetails === 'when-authorized' && !auth) problem('http.health_details', 'when-authorized needs http.auth.token_file');
  return {
    host: s.host ?? HTTP_DEFAULTS.host,
    port,
    probePort,
    drainDelayMs: ms(s.drain_delay, HTTP_DEFAULTS.drainDelayMs),
    requestTimeoutMs,
    maxConnections: s.max_connections ?? HTTP_DEFAULTS.maxConnections,
    maxConcurrentMetrics: s.max_concurrent_metrics ?? HTTP_DEFAULTS.maxConcurrentMetrics,
    healthDetails,
    auth,
    tls: s.tls ? { certFile: s.tls.cert_file, keyFile: s.tls.key_file } : null,
  };
}
