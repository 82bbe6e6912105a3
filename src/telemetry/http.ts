// SERVER spans for the HTTP routes chosen in tracing.http_routes (by default only
// /health/detailed: /health, /ready and /metrics are polled by machines every few seconds).
// The handler runs with the span active, and a W3C traceparent sent by the caller is honoured.
import { context, propagation, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VERSION } from '../version.ts';

const tracer = trace.getTracer('vigil', VERSION);
const spans = new WeakMap<FastifyRequest, Span>();

/** Routes whose 503 is an answer (the health is failing), not a server error. */
const HEALTH_ROUTES = new Set(['/health', '/ready', '/health/detailed']);

/** Adds the hooks; call before other hooks so that they run inside the span. */
export function traceRoutes(app: FastifyInstance, routes: ReadonlySet<string>): void {
  if (routes.size === 0) return;
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !routes.has(route)) {
      done();
      return;
    }
    const parent = propagation.extract(context.active(), request.headers);
    const path = request.url.split('?', 1)[0] ?? request.url;
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': path,
          'url.scheme': 'http',
          'network.protocol.version': request.raw.httpVersion,
          'client.address': request.ip,
          'user_agent.original': request.headers['user-agent'] ?? '',
          'vigil.request_id': request.id,
        },
      },
      parent,
    );
    spans.set(request, span);
    // Everything after this hook (handler included) continues in this context.
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    // Kept in the map (it goes with the request) so the access line can still read its ids.
    const span = spans.get(request);
    if (!span?.isRecording()) return;
    const status = reply.statusCode;
    span.setAttribute('http.response.status_code', status);
    const route = request.routeOptions.url ?? '';
    if (status >= 500 && !(status === 503 && HEALTH_ROUTES.has(route))) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    span.end();
  });
  app.addHook('onRequestAbort', async (request) => {
    const span = spans.get(request);
    if (!span?.isRecording()) return;
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the connection' });
    span.end();
  });
}

/** trace_id/span_id of a traced request, for its access line (written after the span's context is gone). */
export function requestTraceFields(request: FastifyRequest): Record<string, string> {
  const span = spans.get(request);
  if (!span) return {};
  const ctx = span.spanContext();
  return trace.isSpanContextValid(ctx) && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0 ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}
