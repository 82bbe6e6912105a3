// Certificate expiry, wherever a certificate is: files (this kind) and the TLS connections other
// kinds hold (PostgreSQL, Redis, Kafka brokers, HTTP and TCP endpoints). The check
// and the two series are declared once here and listed by every kind that reports them
// (runbook "Certificate Expiry": "ensure all certificates have > 30 days validity").
import { gauge } from '../../metrics/family.ts';
import { defineCheck } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';

/** `source` is the file path or the connection (`postgres/<target>`, `http/<target>`…); the rest tell certificates apart. */
const LABELS = ['source', 'subject_cn', 'issuer_cn', 'serial'] as const;

export const certificateNotAfter = gauge(
  'vigil_tls_certificate_not_after_timestamp_seconds',
  'End of validity (notAfter) of a certificate, Unix time; one series per certificate of a file or of the chain a server presented.',
  LABELS,
);
export const certificateNotBefore = gauge(
  'vigil_tls_certificate_not_before_timestamp_seconds',
  'Start of validity (notBefore) of a certificate, Unix time.',
  LABELS,
);

/** The series every kind that reports `tls:expiry` lists among its metrics. */
export const TLS_CERTIFICATE_METRICS = [certificateNotAfter, certificateNotBefore] as const;

export const tlsExpiry = defineCheck({
  id: 'tls:expiry',
  shared: true,
  componentType: 'component',
  component:
    'each certificate source: a file (`<path>`, `<path>#<n>` in a bundle), a connection (`postgres/<target>`, `redis/<target>`, `kafka/<target>/<broker>`, `http/<target>`, `tcp/<target>`)',
  unit: 'days',
  playbook: 'Certificate Expiry',
  failSeverity: 'SEV2',
  description:
    "days until notAfter of the earliest-expiring certificate (a connection: of the chain the server presented); fails when expired, not yet valid, unreadable, or a connection's chain or host name does not verify",
  ladder: {
    config: 'expiry_thresholds',
    direction: 'below',
    values: 'non-negative',
    measures: 'Days until the certificate expires',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 30 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 7 },
    ],
  },
});

export const CERTIFICATES = defineMetadata({
  key: 'certificates',
  checkPrefix: 'tls',
  description: 'Expiry of certificate files (PEM bundles, DER, Kubernetes TLS secrets), re-read at every run',
  env: [],
  metrics: TLS_CERTIFICATE_METRICS,
  checks: [tlsExpiry],
});

/** Files read in one run at most (across all entries); more are reported, not read. */
export const MAX_FILES = 256;
/** Certificates reported in one run at most (a system CA bundle holds ~150). */
export const MAX_CERTIFICATES = 1000;
/** A certificate file larger than this is not read (a PEM bundle of 1000 certificates is ~1.5 MB). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
