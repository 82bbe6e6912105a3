// The `tcp` probe kind: one instance per configured port (probes.tcp.targets and VIGIL_TCP_URL).
import { defineProbeKind } from '../kind.ts';
import type { TcpOptions, TcpSection } from './config.ts';
import { TCP } from './metadata.ts';
import { TcpProbe } from './probe.ts';

export const tcpKind = defineProbeKind<TcpSection, TcpOptions>({
  ...TCP,
  config: async () => (await import('./config.ts')).tcpConfig,
  create: (settings, ctx) => new TcpProbe(settings, ctx),
});

export type { TcpOptions } from './config.ts';
export { TcpProbe } from './probe.ts';
