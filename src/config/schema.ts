// The configuration file's schema. Probe sections come from the probe registry, so adding a
// probe kind adds its section here without touching this file.
import { z } from 'zod';
import { commonProbeFields } from './common.ts';
import type { ProbeSection } from './probe-config.ts';
import { LOG_LEVELS } from '../log/logger.ts';
import { duration } from './common.ts';
import { httpSection, type RawHttpSection } from './http.ts';
import { TRACEABLE_ROUTES, TRACING_PROTOCOLS, type RawTracingSection } from './tracing.ts';

const absolutePath = z.string({ error: 'must be an absolute path' }).regex(/^\//, { error: 'must be an absolute path' });

export function buildConfigSchema(kinds: readonly ProbeSection[]) {
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
      http: httpSection,
      log: z
        .strictObject({
          level: z
            .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
            .optional()
            .describe('default info; env VIGIL_LOG_LEVEL'),
        })
        .optional(),
      host: z
        .strictObject({
          root: absolutePath
            .optional()
            .describe('Where the host filesystem is mounted (DaemonSet: /host); sets proc, sys and rootfs below it. Env VIGIL_HOST_ROOT'),
          proc: absolutePath.optional(),
          sys: absolutePath.optional(),
          rootfs: absolutePath.optional(),
        })
        .optional(),
      tracing: z
        .strictObject({
          endpoint: z
            .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
            .optional()
            .describe(
              'Base URL of the OTLP/HTTP receiver, e.g. http://otel-collector:4318 (/v1/traces is appended unless the path already ends with it). Tracing is off until an endpoint is set here or in OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, which win',
            ),
          protocol: z
            .enum(TRACING_PROTOCOLS, { error: "must be http/protobuf or http/json (gRPC is not supported: use the collector's OTLP/HTTP port, 4318)" })
            .optional()
            .describe('default http/protobuf; env OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL win'),
          headers: z
            .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'must be an HTTP header name' }), z.string())
            .optional()
            .describe('HTTP headers sent with every export (e.g. authorization); OTEL_EXPORTER_OTLP_HEADERS entries win per header'),
          sample_ratio: z
            .number({ error: 'must be a number from 0 to 1' })
            .min(0, { error: 'must be a number from 0 to 1' })
            .max(1, { error: 'must be a number from 0 to 1' })
            .optional()
            .describe('Share of probe runs traced (parent-based trace-id ratio, default 1); env OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG win'),
          http_routes: z
            .array(z.enum(TRACEABLE_ROUTES, { error: `must be one of ${TRACEABLE_ROUTES.join(', ')}` }), { error: 'must be a list of routes' })
            .optional()
            .describe('HTTP routes that get a SERVER span (default [/health/detailed]; /ready, /health and /metrics are polled every few seconds)'),
          export_timeout: duration
            .optional()
            .describe('Time limit of one export request, retries included (default 10s; env OTEL_EXPORTER_OTLP_TRACES_TIMEOUT wins)'),
          max_queue_size: z
            .number({ error: 'must be an integer 1-100000' })
            .int({ error: 'must be an integer 1-100000' })
            .min(1, { error: 'must be an integer 1-100000' })
            .max(100_000, { error: 'must be an integer 1-100000' })
            .optional()
            .describe('Finished spans kept while waiting for export; more are dropped and counted (default 2048; env OTEL_BSP_MAX_QUEUE_SIZE wins)'),
        })
        .optional()
        .describe('OpenTelemetry traces of probe runs and of HTTP requests, exported over OTLP/HTTP'),
      defaults: z.strictObject(commonProbeFields).optional().describe('Schedule and hysteresis applied to every probe unless its section overrides them'),
      probes: z.strictObject(probes).optional(),
    })
    .describe('Vigil agent configuration');
}

export type RawConfig = {
  service?: { name?: string; description?: string };
  http?: RawHttpSection;
  log?: { level?: (typeof LOG_LEVELS)[number] };
  host?: { root?: string; proc?: string; sys?: string; rootfs?: string };
  tracing?: RawTracingSection;
  defaults?: Record<string, unknown>;
  probes?: Record<string, unknown>;
};

/** JSON Schema for editors (config/vigil.schema.json is generated from this). */
export function configJsonSchema(kinds: readonly ProbeSection[]): Record<string, unknown> {
  const schema = z.toJSONSchema(buildConfigSchema(kinds), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://vigil.dev/schemas/config.json',
    title: 'Vigil configuration',
    ...schema,
  };
}
