// A certificate report turned into what a probe returns: the `tls:expiry` observation of one
// source (judged once, by src/checks/judge.ts) and the notBefore/notAfter series of each of its
// certificates. Every kind that reports certificates goes through here.
import { judge } from '../../checks/judge.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { round2 } from '../../text.ts';
import type { CheckObservation, Collection, Sample } from '../types.ts';
import type { CertificateFacts, CertificateReport } from './inspect.ts';
import { certificateNotAfter, certificateNotBefore, tlsExpiry } from './metadata.ts';

export interface CertificateSource {
  /** The series' `source` label: a file path, a connection (`postgres/<target>`). */
  readonly source: string;
  /** The check's component id; the source unless a file holds several certificates (`<path>#2`). */
  readonly componentId?: string;
  readonly report: CertificateReport;
  /** The `expiry_thresholds` ladder of the kind or target. */
  readonly thresholds: Thresholds;
  /** Failing conditions found on the way (an untrusted chain, a host name the certificate does not name). */
  readonly problems?: readonly string[];
}

const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');

function named(c: CertificateFacts): string {
  return `CN=${c.subjectCn || '(none)'} (issuer CN=${c.issuerCn || '(none)'}, serial ${c.serial})`;
}

function detailsOf(c: CertificateFacts): Record<string, unknown> {
  return {
    subject_cn: c.subjectCn,
    issuer_cn: c.issuerCn,
    serial: c.serial,
    not_before: iso(c.notBefore),
    not_after: iso(c.notAfter),
    sans: c.sans,
  };
}

/** The source's `tls:expiry` observation: days left of the earliest-expiring certificate, judged on the ladder. */
export function expiryObservation(input: CertificateSource): CheckObservation {
  const { report, thresholds } = input;
  const componentId = input.componentId ?? input.source;
  const { leaf, earliest, notYetValid } = report;
  const days = round2(earliest.daysLeft);
  const details = {
    ...detailsOf(leaf),
    ...(report.chain.length > 1 ? { chain_length: report.chain.length } : {}),
    ...(earliest !== leaf ? { earliest_expiring: detailsOf(earliest) } : {}),
  };
  const leafToo = earliest !== leaf ? `; leaf ${named(leaf)} until ${iso(leaf.notAfter)}` : '';
  let observation: CheckObservation;
  if (notYetValid) {
    observation = {
      check: tlsExpiry,
      componentId,
      observedValue: days,
      status: 'fail',
      output: `not valid before ${iso(notYetValid.notBefore)}: ${named(notYetValid)}`,
    };
  } else if (earliest.daysLeft <= 0) {
    observation = {
      check: tlsExpiry,
      componentId,
      observedValue: days,
      status: 'fail',
      output: `expired ${iso(earliest.notAfter)}, ${round2(-earliest.daysLeft)} days ago: ${named(earliest)}${leafToo}`,
    };
  } else {
    observation = judge(tlsExpiry, componentId, days, thresholds, `${days} days left`, `: ${named(earliest)} until ${iso(earliest.notAfter)}${leafToo}`);
  }
  const problems = input.problems ?? [];
  if (problems.length > 0) {
    observation = { ...observation, status: 'fail', severity: tlsExpiry.failSeverity, output: `${problems.join('; ')}; ${observation.output}` };
  }
  return { ...observation, details };
}

/** The notBefore/notAfter series of every certificate of the source. */
export function certificateSamples(source: string, report: CertificateReport): Sample[] {
  return report.chain.flatMap((c) => {
    const labels = { source, subject_cn: c.subjectCn, issuer_cn: c.issuerCn, serial: c.serial };
    return [
      { metric: certificateNotAfter, labels, value: c.notAfter.getTime() / 1000 },
      { metric: certificateNotBefore, labels, value: c.notBefore.getTime() / 1000 },
    ];
  });
}

/** Adds one source's observation and series to a run's collection. */
export function reportCertificates(out: Collection, input: CertificateSource): void {
  out.samples.push(...certificateSamples(input.source, input.report));
  out.checks.push(expiryObservation(input));
}
