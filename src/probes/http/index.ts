// The `http` probe kind: one instance per configured endpoint (probes.http.targets and
// VIGIL_HTTP_URL).
import { defineProbeKind, lazyProbe } from '../kind.ts';
import type { HttpOptions, HttpSection } from './config.ts';
import { HTTP } from './metadata.ts';

export const httpKind = defineProbeKind<HttpSection, HttpOptions>({
  ...HTTP,
  config: async () => (await import('./config.ts')).httpConfig,
  create: lazyProbe(HTTP, async () => (await import('./probe.ts')).HttpProbe),
});

export type { HttpOptions } from './config.ts';
