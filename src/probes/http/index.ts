// The `http` probe kind: one instance per configured endpoint (probes.http.targets and
// VIGIL_HTTP_URL).
import { defineProbeKind } from '../kind.ts';
import type { HttpOptions, HttpSection } from './config.ts';
import { HTTP } from './metadata.ts';
import { HttpProbe } from './probe.ts';

export const httpKind = defineProbeKind<HttpSection, HttpOptions>({
  ...HTTP,
  config: async () => (await import('./config.ts')).httpConfig,
  create: (settings, ctx) => new HttpProbe(settings, ctx),
});

export type { HttpOptions } from './config.ts';
export { HttpProbe } from './probe.ts';
