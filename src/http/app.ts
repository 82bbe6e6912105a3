// The HTTP surface, built apart from listen() so tests drive it with inject().
// Every route reads cached state only: no request ever triggers a probe.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import type { CheckStore } from '../checks/store.ts';
import type { Identity } from '../config/load.ts';
import { componentLogger, type Logger } from '../log/logger.ts';
import type { MetricStore } from '../metrics/family.ts';
import { healthDocument, httpStatusFor, HEALTH_JSON, type HealthDocument } from './health-doc.ts';
import { readinessText, wantsVerbose, type ReadinessState } from './readiness-text.ts';
import { worst, type Status } from '../checks/levels.ts';
import type { LivenessReport } from '../metrics/event-loop.ts';
import { requestTraceFields, traceRoutes } from '../telemetry/http.ts';
import { LogRateLimiter, truncateForLog } from './access-log.ts';
import { HttpCounters } from './http-metrics.ts';
import type { HealthDetails } from '../config/http.ts';

export interface AppDeps {
  readonly checks: CheckStore;
  readonly metrics: MetricStore;
  readonly service: { readonly name: string; readonly description: string };
  readonly identity: Identity;
  readonly logger: Logger;
  readonly liveness: () => LivenessReport;
  readonly firstRoundDone: () => boolean;
  readonly shuttingDown: () => boolean;
  /** Routes that get a SERVER span (tracing.http_routes; empty when tracing is off). */
  readonly tracedRoutes?: ReadonlySet<string>;
  /** `/metrics` answers in flight at once; more get 503 + Retry-After (http.max_concurrent_metrics). */
  readonly maxConcurrentMetrics?: number;
  /** What /health/detailed shows to a caller without a valid token (http.health_details). */
  readonly healthDetails?: HealthDetails;
  /** The bearer token (http.auth.token_file), read at each request from its watched file. */
  readonly token?: () => Buffer;
  /** Whether /metrics needs the token too (http.auth.metrics). */
  readonly metricsNeedToken?: boolean;
  /** 'probes': only /health and /ready (the http.probe_port listener). */
  readonly routes?: 'all' | 'probes';
  /** Creates the Node server (timeouts, TLS, connection cap); Fastify's default when absent. */
  readonly serverFactory?: FastifyServerFactory;
}

/** Paths that machines poll every few seconds: their access lines are DEBUG. */
const POLLED_PATHS = new Set(['/health', '/ready', '/metrics']);
/** Paths that answer 503 by design (the answer is the health, not a server error). */
const HEALTH_PATHS = new Set(['/health', '/ready', '/health/detailed']);
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
const ALL_PATHS = ['/health', '/ready', '/health/detailed', '/metrics'];
const PROBE_PATHS = ['/health', '/ready'];

function noRouteSchemas(): never {
  throw new Error("Vigil's HTTP routes declare no schema; add a validator and serializer compiler with the first one");
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const log = componentLogger(deps.logger, 'http');
  const counters = HttpCounters.for(deps.metrics);
  const failedLines = new LogRateLimiter(counters);
  const routes = deps.routes ?? 'all';
  const app = Fastify({
    ...(deps.serverFactory ? { serverFactory: deps.serverFactory } : {}),
    logger: false, // access lines come from the onResponse hook, in the log convention
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Health endpoints must answer fast or not at all.
    connectionTimeout: 10_000,
    requestTimeout: 10_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    // No route declares a schema, so Fastify's default compilers (ajv, fast-json-stringify) would
    // only be loaded, never used: −2.7 MiB RSS on an idle agent (bench footprint).
    schemaController: { compilersFactory: { buildValidator: noRouteSchemas, buildSerializer: noRouteSchemas } },
  });

  // First, so that the other hooks and the handler run inside the request's span.
  traceRoutes(app, deps.tracedRoutes ?? new Set());

  // Callback-style hooks: they run on every request, and an async one costs a promise and a
  // microtask turn each (/ready req/s, bench footprint).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // No route takes a body: refuse one at once and close, rather than wait for a slow sender.
    const length = request.headers['content-length'];
    if (request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
      counters.reject('body');
      reply.code(413).header('connection', 'close').type('application/json').send({ error: 'request bodies are not accepted', request_id: request.id });
      return;
    }
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    logAccess(request, reply);
    done();
  });
  const logAccess = (request: FastifyRequest, reply: FastifyReply): void => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    const status = reply.statusCode;
    const level = accessLevel(path, status);
    // Polled paths log at DEBUG: at the default level their line is not even built.
    if (!log.isLevelEnabled(level)) return;
    // Failed requests are what a flood produces: bounded rate, the rest counted.
    const suppressedBefore = level === 'warn' || level === 'error' ? failedLines.take() : 0;
    if (suppressedBefore === undefined) return;
    const details: Record<string, unknown> = { method: request.method, remote_address: request.ip, user_agent: truncateForLog(request.headers['user-agent']) };
    if (suppressedBefore > 0) details.suppressed_before = suppressedBefore;
    const fields: Record<string, unknown> = {
      event: 'http.access',
      request_id: request.id,
      ...requestTraceFields(request),
      path: truncateForLog(path),
      status,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      details,
    };
    const correlation = request.headers['x-correlation-id'];
    if (typeof correlation === 'string' && REQUEST_ID.test(correlation)) fields.correlation_id = correlation;
    // The message names the route, never the client's path: that is in `path`, cut to size.
    log[level](fields, `${request.method} ${request.routeOptions.url ?? '(no such route)'} ${status}`);
  };

  app.setErrorHandler(async (err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) log.error({ event: 'http.error', request_id: request.id, error: err }, `request failed: ${err.message}`);
    return reply
      .code(status)
      .type('application/json')
      .send({ error: status >= 500 ? 'internal error' : err.message, request_id: request.id });
  });

  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send({ error: 'not found', paths: routes === 'all' ? ALL_PATHS : PROBE_PATHS, request_id: request.id }),
  );

  /** 'valid', 'missing' or 'invalid' bearer token; 'missing' too when no token is configured. */
  const authorization = (request: FastifyRequest): 'valid' | 'missing' | 'invalid' => {
    const header = request.headers.authorization;
    if (!deps.token || header === undefined) return 'missing';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const expected = deps.token();
    if (!match || expected.length === 0) return 'invalid';
    // Hash both sides: equal lengths for timingSafeEqual, and no length leak.
    const digest = (b: Buffer | string) => createHash('sha256').update(b).digest();
    return timingSafeEqual(digest(match[1] as string), digest(expected)) ? 'valid' : 'invalid';
  };
  const unauthorized = (reply: FastifyReply, request: FastifyRequest, invalid: boolean) => {
    counters.reject('unauthorized');
    return reply
      .code(401)
      .header('www-authenticate', invalid ? 'Bearer realm="vigil", error="invalid_token"' : 'Bearer realm="vigil"')
      .header('cache-control', 'no-store')
      .type('application/json')
      .send({ error: invalid ? 'invalid bearer token' : 'bearer token required', request_id: request.id });
  };

  app.get('/health', async (_request, reply) => {
    const live = deps.liveness();
    return reply
      .code(live.healthy ? 200 : 503)
      .type(HEALTH_JSON)
      .header('cache-control', 'no-store')
      .send({
        status: live.healthy ? 'pass' : 'fail',
        serviceId: deps.service.name,
        ...(live.healthy ? {} : { output: `event loop delay ${live.eventLoopDelayMs} ms` }),
      });
  });

  app.get('/ready', async (request, reply) => {
    const readiness = ready(deps);
    reply
      .code(readiness.ready ? 200 : 503)
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store');
    // Every check's line only when asked: a kubelet polls the short answer.
    const verbose = wantsVerbose(request.query as Record<string, unknown>);
    return readinessText(readiness, verbose ? deps.checks.views(new Date()) : null);
  });

  if (routes === 'probes') return app;

  app.get('/health/detailed', async (request, reply) => {
    const auth = authorization(request);
    if (auth === 'invalid') return unauthorized(reply, request, true);
    const doc = healthDocument({
      views: deps.checks.views(new Date()),
      service: deps.service,
      identity: deps.identity,
      firstRoundDone: deps.firstRoundDone(),
    });
    const details = deps.healthDetails ?? 'always';
    const full = details === 'always' || (details === 'when-authorized' && auth === 'valid');
    return reply
      .code(httpStatusFor(doc.status))
      .type(HEALTH_JSON)
      .header('cache-control', 'no-store')
      .header('vary', 'authorization')
      .send(full ? doc : minimalHealthDocument(doc));
  });

  const maxMetrics = deps.maxConcurrentMetrics ?? Infinity;
  let metricsInFlight = 0;
  app.get('/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    if (deps.metricsNeedToken) {
      const auth = authorization(request);
      if (auth !== 'valid') return unauthorized(reply, request, auth === 'invalid');
    }
    // Counted until the answer has left (or the client went away): what a flood costs is the
    // bodies queued for slow readers as much as the rendering.
    if (metricsInFlight >= maxMetrics) {
      counters.reject('metrics_busy');
      return reply
        .code(503)
        .header('retry-after', '1')
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send('busy: too many /metrics requests at once\n');
    }
    metricsInFlight++;
    reply.raw.once('close', () => metricsInFlight--);
    const { contentType, body } = await deps.metrics.renderForScrape(request.headers.accept);
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });

  return app;
}

/** Status and check names only: what anyone who reaches the port may see. */
export function minimalHealthDocument(doc: HealthDocument): { status: Status; checks: Record<string, { status: Status }[]> } {
  const checks: Record<string, { status: Status }[]> = {};
  for (const [name, entries] of Object.entries(doc.checks)) checks[name] = [{ status: entries.reduce<Status>((w, e) => worst(w, e.status), 'pass') }];
  return { status: doc.status, checks };
}

/** Failed requests are WARN/ERROR; polled endpoints DEBUG (a 503 from /ready is an answer, not a failure). */
export function accessLevel(path: string, status: number): 'debug' | 'info' | 'warn' | 'error' {
  if (!HEALTH_PATHS.has(path) && status >= 500) return 'error';
  if (!HEALTH_PATHS.has(path) && status >= 400) return 'warn';
  if (POLLED_PATHS.has(path)) return 'debug';
  return 'info';
}

/** Ready: first round done, not shutting down, no critical check failing. */
export function ready(deps: Pick<AppDeps, 'checks' | 'firstRoundDone' | 'shuttingDown'>): ReadinessState {
  if (deps.shuttingDown()) return { ready: false, reason: 'shutting down' };
  if (!deps.firstRoundDone()) return { ready: false, reason: 'first round of probes not finished' };
  const failing = deps.checks.criticalFailing(new Date());
  if (failing.length > 0) return { ready: false, reason: `critical check failing: ${failing.map((v) => `${v.check.id} ${v.componentId}`).join(', ')}` };
  return { ready: true, reason: '' };
}
