// The baseline of the HTTP suite: a bare Fastify server with fixed answers, no probes, no
// metric rendering. Run as a child process by bench/http.ts:
//   BASELINE_PORT=… BASELINE_METRICS_BYTES=… node bench/baseline-server.ts
import Fastify from 'fastify';
import { closeOnSignals } from './serve-until-signal.ts';

// Loads the modules and exits: warms a compile cache (bench/footprint.ts).
if (process.env.BASELINE_WARM_ONLY === '1') process.exit(0);

const port = Number(process.env.BASELINE_PORT);
const metricsBytes = Number(process.env.BASELINE_METRICS_BYTES ?? 16_384);
const metricsType = process.env.BASELINE_METRICS_TYPE || 'text/plain; version=0.0.4; charset=utf-8';
if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('BASELINE_PORT must be a port number');
if (!Number.isInteger(metricsBytes) || metricsBytes < 0) throw new Error('BASELINE_METRICS_BYTES must be a byte count');

/** Prometheus-looking text of exactly `bytes` bytes (ASCII), built once. */
function fillerMetrics(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `baseline_filler_value{series="${i}"} ${i}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('').slice(0, bytes);
}

const metricsBody = fillerMetrics(metricsBytes);
const readyBody = { status: 'ok' };

const app = Fastify({ logger: false });
app.get('/ready', async () => readyBody);
app.get('/metrics', async (_request, reply) => reply.type(metricsType).send(metricsBody));

await app.listen({ host: '127.0.0.1', port });

closeOnSignals(app);
