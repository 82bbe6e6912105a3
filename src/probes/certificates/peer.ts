// The certificate chain of a TLS connection another kind already holds (PostgreSQL, HTTP and TCP
// endpoints, Redis, Kafka brokers): read from the socket, never from a connection of our own.
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { Thresholds } from '../../checks/levels.ts';
import type { Collection } from '../types.ts';
import { certificateReport } from './inspect.ts';
import { reportCertificates } from './observe.ts';

/** Certificates a server presented, leaf first, and what did not verify. */
export interface PresentedChain {
  readonly certificates: readonly X509Certificate[];
  /** `certificate not trusted: …`, `certificate does not match …`: failing conditions of `tls:expiry`. */
  readonly problems: readonly string[];
}

export interface PeerExpectations {
  /** Report an untrusted chain (the socket's authorizationError); off when verification was not asked for (sslmode=require, insecure_skip_verify). */
  readonly verify?: boolean;
  /** The name the certificate must carry; checked as the TLS client checks it. */
  readonly hostname?: string;
}

/** What is read of a TLS socket (a live one: a closed socket has no peer certificate left). */
export type PeerSocket = Pick<TLSSocket, 'getPeerCertificate' | 'authorized' | 'authorizationError'>;

/**
 * The chain of `getPeerCertificate(true)`: what the server sent, completed by OpenSSL up to the
 * trusted root it verified against. The root is its own issuer, which ends the walk.
 */
export function peerChain(socket: PeerSocket, expect: PeerExpectations = {}): PresentedChain {
  const certificates: X509Certificate[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const leaf = cert;
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    certificates.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  // Node's own host name check, when the chain verified, is the one below: said once.
  const nameOnly = expect.hostname !== undefined && String(socket.authorizationError) === 'ERR_TLS_CERT_ALTNAME_INVALID';
  if (expect.verify && !socket.authorized && !nameOnly) problems.push(`certificate not trusted: ${socket.authorizationError ?? 'unknown reason'}`);
  if (expect.hostname !== undefined && leaf?.raw) {
    const mismatch = checkServerIdentity(expect.hostname, leaf);
    if (mismatch) problems.push(`certificate does not match ${expect.hostname}: ${mismatch.message}`);
  }
  return { certificates, problems };
}

export interface PeerSource extends PeerExpectations {
  /** Series label and component id: the probe instance, `postgres/<target>`. */
  readonly source: string;
  /** The kind's or target's `expiry_thresholds`. */
  readonly thresholds: Thresholds;
}

/**
 * What a connected kind calls each run with its TLS socket: the chain's `tls:expiry` observation
 * and series go into `out`. Nothing when the connection presented no certificate.
 */
export function reportPeerCertificate(out: Collection, socket: PeerSocket, source: PeerSource, now = new Date()): void {
  reportChain(out, peerChain(socket, source), source, now);
}

/** reportPeerCertificate for a chain read earlier (at the answer of a request, while its socket was open). */
export function reportChain(out: Collection, chain: PresentedChain, source: Pick<PeerSource, 'source' | 'thresholds'>, now = new Date()): void {
  if (chain.certificates.length === 0) return;
  reportCertificates(out, {
    source: source.source,
    report: certificateReport(chain.certificates, now),
    thresholds: source.thresholds,
    problems: chain.problems,
  });
}
