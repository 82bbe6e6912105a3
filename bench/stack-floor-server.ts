// The floor of the footprint suite: the chosen stack and nothing of Vigil. Fastify serving
// /health, /ready and /metrics, a pino logger on stdout and a prom-client registry with one
// gauge, on the same Node and, started by bench/footprint.ts, with bin/vigil's V8 flags. What
// the agent costs above this is Vigil's own; below it no Vigil on this stack can go.
//   FLOOR_PORT=… node --max-semi-space-size=1 --max-old-space-size=96 bench/stack-floor-server.ts
import Fastify from 'fastify';
import { closeOnSignals } from './serve-until-signal.ts';
import { createRequire } from 'node:module';
import pino from 'pino';
import type client from 'prom-client';

// As in the agent (src/metrics/family.ts): prom-client's registry and one metric type required
// alone, not its index (default metrics, Pushgateway, cluster aggregator, the OpenTelemetry API).
const requireCjs = createRequire(import.meta.url);
const Registry = requireCjs('prom-client/lib/registry') as typeof client.Registry;
const Gauge = requireCjs('prom-client/lib/gauge') as typeof client.Gauge;

// Loads the modules and exits: warms a compile cache (bench/footprint.ts).
if (process.env.FLOOR_WARM_ONLY === '1') process.exit(0);

const port = Number(process.env.FLOOR_PORT);
if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('FLOOR_PORT must be a port number');

const logger = pino({ level: 'warn' });
const registry = new Registry();
const up = new Gauge({ name: 'floor_up', help: 'Always 1.', registers: [registry] });
up.set(1);
// The figure the suite reads from every process it measures.
new Gauge({
  name: 'nodejs_heap_size_used_bytes',
  help: 'V8 heap used.',
  registers: [registry],
  collect() {
    this.set(process.memoryUsage().heapUsed);
  },
});

// As in the agent (src/http/app.ts): no route schema, so no ajv or fast-json-stringify loaded.
const noRouteSchemas = (): never => {
  throw new Error('no route schemas');
};
const app = Fastify({
  logger: false,
  schemaController: { compilersFactory: { buildValidator: noRouteSchemas, buildSerializer: noRouteSchemas } },
});
app.get('/health', async () => ({ status: 'pass' }));
app.get('/ready', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok\n'));
app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));

await app.listen({ host: '127.0.0.1', port });
logger.info({ port }, 'listening');

closeOnSignals(app);
