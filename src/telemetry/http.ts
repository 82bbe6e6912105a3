// SERVER spans for the HTTP routes chosen in tracing.http_routes (by default only
// /health/detailed: /health, /ready and /metrics are polled by machines every few seconds).
// The handler runs with the span active, and a W3C traceparent sent by the caller is honoured.
import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { activeTracing, sampledTraceFields, SPAN_STATUS_ERROR } from '../otel.ts';
const spans = new WeakMap<FastifyRequest, Span>();

/** Routes whose 503 is an answer (the health is failing), not a server error. */
const HEALTH_ROUTES = new Set(['/health', '/ready', '/health/detailed']);

/** Adds the hooks; call before other hooks so that they run inside the span. */
export function traceRoutes(app: FastifyInstance, routes: ReadonlySet<string>): void {
  if (routes.size === 0) return;
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const tracing = activeTracing();
    // Not yet (or no longer: the SDK did not start) traced: the request goes on without a span.
    if (route === undefined || !routes.has(route) || tracing === undefined) {
      done();
      return;
    }
    const { context, propagation, SpanKind, trace } = tracing.api;
    const parent = propagation.extract(context.active(), request.headers);
    const path = request.url.split('?', 1)[0] ?? request.url;
    const span = tracing.tracer.startSpan(
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
    if (status >= 500 && !(status === 503 && HEALTH_ROUTES.has(route))) span.setStatus({ code: SPAN_STATUS_ERROR, message: `HTTP ${status}` });
    span.end();
  });
  app.addHook('onRequestAbort', async (request) => {
    const span = spans.get(request);
    if (!span?.isRecording()) return;
    span.setStatus({ code: SPAN_STATUS_ERROR, message: 'client closed the connection' });
    span.end();
  });
}

/** trace_id/span_id of a traced request, for its access line (written after the span's context is gone). */
export function requestTraceFields(request: FastifyRequest): Record<string, string> {
  return sampledTraceFields(spans.get(request));
}
