// The `tcp` probe kind: one instance per configured port (probes.tcp.targets and VIGIL_TCP_URL).
import { defineProbeKind } from '../kind.ts';
import { resolveTcp, tcpSchema, type TcpOptions, type TcpSection } from './config.ts';
import { TCP } from './metadata.ts';
import { TcpProbe } from './probe.ts';

export const tcpKind = defineProbeKind<TcpSection, TcpOptions>({
  ...TCP,
  schema: tcpSchema,
  resolve: resolveTcp,
  create: (settings, ctx) => new TcpProbe(settings, ctx),
});

export type { TcpOptions } from './config.ts';
export { TcpProbe } from './probe.ts';
