// The password fields of every probe kind that authenticates (PostgreSQL and Redis targets,
// Kafka SASL): inline, or a file (a mounted Kubernetes secret) read at every connect so a
// rotated secret needs no restart. Validation never opens the file.
import { z } from 'zod';

export const passwordFields = {
  password: z.string({ error: 'must be a string' }).optional().describe('The password, inline (prefer password_file)'),
  password_file: z
    .string({ error: 'must be a file path' })
    .min(1, { error: 'must be a file path' })
    .optional()
    .describe('File holding the password (a mounted Kubernetes secret; a trailing newline is ignored); read at every connect, so rotation needs no restart'),
};
