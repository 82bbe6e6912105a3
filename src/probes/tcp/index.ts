// The `tcp` probe kind: one instance per configured port (probes.tcp.targets and VIGIL_TCP_URL).
import { defineProbeKind, lazyProbe } from '../kind.ts';
import type { TcpOptions, TcpSection } from './config.ts';
import { TCP } from './metadata.ts';

export const tcpKind = defineProbeKind<TcpSection, TcpOptions>({
  ...TCP,
  config: async () => (await import('./config.ts')).tcpConfig,
  create: lazyProbe(TCP, async () => (await import('./probe.ts')).TcpProbe),
});

export type { TcpOptions } from './config.ts';
