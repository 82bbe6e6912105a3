// The `certificates` probe kind: one instance watching every configured certificate file.
import { defineProbeKind } from '../kind.ts';
import type { CertificatesOptions, CertificatesSection } from './config.ts';
import { CERTIFICATES } from './metadata.ts';
import { CertificatesProbe } from './probe.ts';

export const certificatesKind = defineProbeKind<CertificatesSection, CertificatesOptions>({
  ...CERTIFICATES,
  config: async () => (await import('./config.ts')).certificatesConfig,
  create: (settings, ctx) => new CertificatesProbe(settings, ctx),
});

export type { CertificatesOptions } from './config.ts';
export { CertificatesProbe } from './probe.ts';
