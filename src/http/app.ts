// The HTTP surface, built apart from listen() so tests drive it with inject().
// Every route reads cached state only: no request ever triggers a probe.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { CheckStore, CheckView } from '../checks/store.ts';
import type { Identity } from '../config/load.ts';
import { componentLogger, type Logger } from '../log/logger.ts';
import type { MetricStore } from '../metrics/family.ts';
import { formatObserved } from '../runner/runner.ts';
import { healthDocument, httpStatusFor, HEALTH_JSON } from './health-doc.ts';
import type { LivenessReport } from './liveness.ts';
import { requestTraceFields, traceRoutes } from '../telemetry/http.ts';
import { LogRateLimiter, truncateForLog } from './access-log.ts';
import { HttpCounters } from './http-metrics.ts';

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
}

/** Paths that machines poll every few seconds: their access lines are DEBUG. */
const POLLED_PATHS = new Set(['/health', '/ready', '/metrics']);
/** Paths that answer 503 by design (the answer is the health, not a server error). */
const HEALTH_PATHS = new Set(['/health', '/ready', '/health/detailed']);
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

export function buildApp(deps: AppDeps): FastifyInstance {
  const log = componentLogger(deps.logger, 'http');
  const counters = HttpCounters.for(deps.metrics);
  const failedLines = new LogRateLimiter(counters);
  const app = Fastify({
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
  });

  // First, so that the other hooks and the handler run inside the request's span.
  traceRoutes(app, deps.tracedRoutes ?? new Set());

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    const status = reply.statusCode;
    const level = accessLevel(path, status);
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
  });

  app.setErrorHandler(async (err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) log.error({ event: 'http.error', request_id: request.id, error: err }, `request failed: ${err.message}`);
    return reply.code(status).type('application/json').send({ error: status >= 500 ? 'internal error' : err.message, request_id: request.id });
  });

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).type('application/json').send({ error: 'not found', paths: ['/health', '/ready', '/health/detailed', '/metrics'], request_id: request.id }),
  );

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
    reply.code(readiness.ready ? 200 : 503).type('text/plain; charset=utf-8').header('cache-control', 'no-store');
    const query = request.query as Record<string, unknown>;
    if (!('verbose' in query)) return readiness.ready ? 'ok\n' : `not ready: ${readiness.reason}\n`;
    return verboseReadiness(readiness);
  });

  app.get('/health/detailed', async (_request, reply) => {
    const doc = healthDocument({
      views: deps.checks.views(new Date()),
      service: deps.service,
      identity: deps.identity,
      firstRoundDone: deps.firstRoundDone(),
    });
    return reply.code(httpStatusFor(doc.status)).type(HEALTH_JSON).header('cache-control', 'no-store').send(doc);
  });

  app.get('/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    const { contentType, body } = await deps.metrics.render(request.headers.accept);
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });

  return app;
}

/** Failed requests are WARN/ERROR; polled endpoints DEBUG (a 503 from /ready is an answer, not a failure). */
export function accessLevel(path: string, status: number): 'debug' | 'info' | 'warn' | 'error' {
  if (!HEALTH_PATHS.has(path) && status >= 500) return 'error';
  if (!HEALTH_PATHS.has(path) && status >= 400) return 'warn';
  if (POLLED_PATHS.has(path)) return 'debug';
  return 'info';
}

interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
  readonly views: readonly CheckView[];
}

/** Ready: first round done, not shutting down, no critical check failing. */
export function ready(deps: Pick<AppDeps, 'checks' | 'firstRoundDone' | 'shuttingDown'>): Readiness {
  const views = deps.checks.views(new Date());
  if (deps.shuttingDown()) return { ready: false, reason: 'shutting down', views };
  if (!deps.firstRoundDone()) return { ready: false, reason: 'first round of probes not finished', views };
  const failing = views.filter((v) => v.critical && v.status === 'fail');
  if (failing.length > 0) {
    return { ready: false, reason: `critical check failing: ${failing.map((v) => `${v.check.id} ${v.componentId}`).join(', ')}`, views };
  }
  return { ready: true, reason: '', views };
}

/** Kubernetes-style verbose readiness: one line per check. */
function verboseReadiness(r: Readiness): string {
  const lines: string[] = [];
  if (r.reason === 'shutting down') lines.push('[-]shutdown failed: shutting down');
  else if (r.reason.startsWith('first round')) lines.push('[-]first-round failed: probes still running');
  for (const v of r.views) {
    const blocking = v.critical && v.status === 'fail';
    const note = v.status === 'pass' ? 'ok' : `${v.status}: ${v.output || formatObserved(v.observedValue, v.check.unit)}`;
    lines.push(`${blocking ? '[-]' : '[+]'}${v.check.id} ${v.componentId} ${note}${v.critical || v.status === 'pass' ? '' : ' (not critical)'}`);
  }
  lines.push(r.ready ? 'readyz check passed' : 'readyz check failed');
  return `${lines.join('\n')}\n`;
}
