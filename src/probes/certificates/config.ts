// The `probes.certificates` section: which certificate files to watch and the expiry ladder.
import { z } from 'zod';
import { commonProbeFields, duration, resolveSchedule, type ProbeSchedule } from '../../config/common.ts';
import { formatDuration, parseDuration } from '../../config/duration.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import type { ProbeSection } from '../kind.ts';
import { CERTIFICATES, MAX_CERTIFICATES, MAX_FILES, tlsExpiry } from './metadata.ts';

export { MAX_CERTIFICATES, MAX_FILE_BYTES, MAX_FILES } from './metadata.ts';
import type { KindConfig } from '../kind.ts';

export const certificatesSchema = z.strictObject({
  ...commonProbeFields,
  files: z
    .array(z.string({ error: 'must be a path' }).min(1, { error: 'must be a path' }), { error: 'must be a list of paths' })
    .optional()
    .describe(
      `Certificate files (PEM, one or many certificates; DER), directories (their *.crt, *.pem, *.cer, *.der: a mounted Kubernetes TLS secret's tls.crt and ca.crt) and globs (/etc/ssl/private/*.pem), on the host's filesystem (host.rootfs); re-read at every run. At most ${MAX_FILES} files an entry and ${MAX_CERTIFICATES} certificates a run`,
    ),
  read_timeout: duration.optional().describe("Deadline to list and read one entry's files (a hung network filesystem); default 80 % of the probe's timeout"),
  expiry_thresholds: ladderField(tlsExpiry),
});

export type CertificatesSection = z.infer<typeof certificatesSchema>;

export interface CertificatesOptions {
  /** As configured: paths, directories and globs in the host's filesystem. */
  readonly files: readonly string[];
  readonly readTimeoutMs: number;
  readonly thresholds: Thresholds;
}

/** One instance when files are named; none otherwise (the zero-config agent watches no file). */
export const resolveCertificates: ProbeSection<CertificatesSection, CertificatesOptions>['resolve'] = ({ section, defaults }, report) => {
  const schedule: ProbeSchedule = resolveSchedule(section, defaults);
  if (!section || !schedule.enabled) return [];
  const files = section.files ?? [];
  if (files.length === 0) {
    if (section.enabled === true) report('files', 'names no file: list the certificate files, directories or globs to watch');
    return [];
  }
  files.forEach((file, i) => {
    if (!file.startsWith('/')) report(`files[${i}]`, 'must be an absolute path');
  });
  let readTimeoutMs = Math.max(1, Math.round(schedule.timeoutMs * 0.8));
  if (section.read_timeout !== undefined) {
    readTimeoutMs = parseDuration(section.read_timeout) as number;
    if (readTimeoutMs >= schedule.timeoutMs)
      report('read_timeout', `must be shorter than the probe's timeout (${formatDuration(schedule.timeoutMs)}), or the whole run times out`);
  }
  const options: CertificatesOptions = Object.freeze({
    files: Object.freeze([...files]),
    readTimeoutMs,
    thresholds: resolveLadder(tlsExpiry, section.expiry_thresholds),
  });
  return [Object.freeze({ kind: CERTIFICATES.key, name: CERTIFICATES.key, schedule, options })];
};

/** The `probes.certificates` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const certificatesConfig: KindConfig<CertificatesSection, CertificatesOptions> = { schema: certificatesSchema, resolve: resolveCertificates };
