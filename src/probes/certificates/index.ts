// The `certificates` probe kind: one instance watching every configured certificate file.
import { defineProbeKind, lazyProbe } from '../kind.ts';
import type { CertificatesOptions, CertificatesSection } from './config.ts';
import { CERTIFICATES } from './metadata.ts';

export const certificatesKind = defineProbeKind<CertificatesSection, CertificatesOptions>({
  ...CERTIFICATES,
  config: async () => (await import('./config.ts')).certificatesConfig,
  create: lazyProbe(CERTIFICATES, async () => (await import('./probe.ts')).CertificatesProbe),
});

export type { CertificatesOptions } from './config.ts';
