// The bench's fixed-answer servers stop the same way: SIGTERM or SIGINT closes and exits.
import type { FastifyInstance } from 'fastify';

export function closeOnSignals(app: FastifyInstance): void {
  const close = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}
