// The configuration file's schema. Probe sections come from the probe registry, so adding a
// probe kind adds its section here without touching this file.
import { z } from 'zod';
import { commonProbeFields } from './common.ts';
import type { ProbeKind } from '../probes/kind.ts';
import { LOG_LEVELS } from '../log/logger.ts';
import { duration } from './common.ts';

const port = z
  .number({ error: 'must be an integer 1-65535' })
  .int({ error: 'must be an integer 1-65535' })
  .min(1, { error: 'must be an integer 1-65535' })
  .max(65535, { error: 'must be an integer 1-65535' });

const absolutePath = z
  .string({ error: 'must be an absolute path' })
  .regex(/^\//, { error: 'must be an absolute path' });

export function buildConfigSchema(kinds: readonly ProbeKind[]) {
  const probes: Record<string, z.ZodType> = {};
  for (const kind of kinds) probes[kind.key] = (kind.schema as z.ZodType).optional().describe(kind.description);

  return z
    .strictObject({
      service: z
        .strictObject({
          name: z.string().min(1).optional().describe('serviceId in /health/detailed and `service` in logs (default vigil)'),
          description: z.string().optional(),
        })
        .optional(),
      http: z
        .strictObject({
          host: z.string().min(1).optional().describe('Address to listen on (default 0.0.0.0)'),
          port: port.optional().describe('Port of /health, /ready, /health/detailed and /metrics (default 9477; env VIGIL_PORT)'),
          drain_delay: duration.optional().describe('After SIGTERM, how long /ready answers 503 before the server closes (default 5s)'),
        })
        .optional(),
      log: z
        .strictObject({
          level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).optional().describe('default info; env VIGIL_LOG_LEVEL'),
        })
        .optional(),
      host: z
        .strictObject({
          root: absolutePath.optional().describe('Where the host filesystem is mounted (DaemonSet: /host); sets proc, sys and rootfs below it. Env VIGIL_HOST_ROOT'),
          proc: absolutePath.optional(),
          sys: absolutePath.optional(),
          rootfs: absolutePath.optional(),
        })
        .optional(),
      defaults: z.strictObject(commonProbeFields).optional().describe('Schedule and hysteresis applied to every probe unless its section overrides them'),
      probes: z.strictObject(probes).optional(),
    })
    .describe('Vigil agent configuration');
}

export type RawConfig = {
  service?: { name?: string; description?: string };
  http?: { host?: string; port?: number; drain_delay?: string };
  log?: { level?: (typeof LOG_LEVELS)[number] };
  host?: { root?: string; proc?: string; sys?: string; rootfs?: string };
  defaults?: Record<string, unknown>;
  probes?: Record<string, unknown>;
};

/** JSON Schema for editors (config/vigil.schema.json is generated from this). */
export function configJsonSchema(kinds: readonly ProbeKind[]): Record<string, unknown> {
  const schema = z.toJSONSchema(buildConfigSchema(kinds), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://vigil.dev/schemas/config.json',
    title: 'Vigil configuration',
    ...schema,
  };
}
