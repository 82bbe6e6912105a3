// What a certificate says about its own validity, read with Node's X509Certificate (OpenSSL's
// parser): no ASN.1 of our own. Pure functions of the certificates and the clock.
import { X509Certificate } from 'node:crypto';

const DAY_MS = 86_400_000;

/** One certificate's facts, as `openssl x509 -noout -subject -issuer -serial -dates -ext subjectAltName` prints them. */
export interface CertificateFacts {
  /** The subject's CN, '' when it has none (a SAN-only certificate). */
  readonly subjectCn: string;
  readonly issuerCn: string;
  /** Hex, upper case, as openssl prints it. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** `DNS:db.internal`, `IP Address:10.0.0.5`… */
  readonly sans: readonly string[];
  /** notAfter − now, in days (negative once expired). */
  readonly daysLeft: number;
}

export interface CertificateReport {
  /** The first certificate: a server's own, or a file's only one. */
  readonly leaf: CertificateFacts;
  /** The one whose notAfter comes first; the leaf unless an intermediate or root expires sooner. */
  readonly earliest: CertificateFacts;
  /** Every certificate, leaf first. */
  readonly chain: readonly CertificateFacts[];
  /** A certificate whose notBefore is still ahead, if any. */
  readonly notYetValid: CertificateFacts | undefined;
}

/** The CN of an OpenSSL one-line-per-attribute name (`C=DE\nO=Acme\nCN=db`); the last when repeated. */
function commonName(name: string): string {
  const cn = name
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .at(-1);
  return cn === undefined ? '' : cn.slice(3);
}

/** `DNS:a, DNS:b, IP Address:10.0.0.1`; a comma inside a quoted value is not a separator. */
function altNames(text: string | undefined): string[] {
  return text ? text.split(/, (?=[A-Za-z][A-Za-z ]*:)/) : [];
}

export function certificateFacts(cert: X509Certificate, now: Date): CertificateFacts {
  const notAfter = cert.validToDate;
  return {
    subjectCn: commonName(cert.subject),
    issuerCn: commonName(cert.issuer),
    serial: cert.serialNumber.toUpperCase(),
    notBefore: cert.validFromDate,
    notAfter,
    sans: altNames(cert.subjectAltName),
    daysLeft: (notAfter.getTime() - now.getTime()) / DAY_MS,
  };
}

/** The facts of a chain (leaf first) at `now`: its leaf, the certificate that expires first, one not valid yet. */
export function certificateReport(chain: readonly X509Certificate[], now: Date): CertificateReport {
  const facts = chain.map((cert) => certificateFacts(cert, now));
  const [leaf] = facts;
  if (!leaf) throw new Error('no certificate');
  const earliest = facts.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
  return { leaf, earliest, chain: facts, notYetValid: facts.find((f) => f.notBefore > now) };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Every certificate of a file: the CERTIFICATE blocks of a PEM file (a bundle, a Kubernetes
 * `tls.crt` with its chain; keys and other blocks are passed over), or one DER certificate.
 * Throws with the reason when there is none or one does not parse.
 */
export function parseCertificates(data: Buffer): X509Certificate[] {
  const text = data.toString('latin1');
  const blocks = text.match(PEM_CERTIFICATE);
  if (blocks) {
    return blocks.map((block, i) => {
      try {
        return new X509Certificate(block);
      } catch (err) {
        throw new Error(`PEM certificate ${i + 1} of ${blocks.length} does not parse: ${(err as Error).message}`, { cause: err });
      }
    });
  }
  const pem = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
  if (pem) throw new Error(`holds no certificate (PEM ${pem[1]})`);
  try {
    return [new X509Certificate(data)];
  } catch (err) {
    throw new Error(`neither a PEM nor a DER certificate (${(err as Error).message})`, { cause: err });
  }
}
