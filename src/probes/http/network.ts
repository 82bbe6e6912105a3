// What the http and tcp kinds share below HTTP: the name resolved at every run (so a moved
// service is followed, and DNS time is its own phase), the resolved address handed to the
// socket, and what the TLS layer tells about the connection.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { formatDuration } from '../../config/duration.ts';
import { peerChain, type PresentedChain } from '../certificates/peer.ts';

export interface Resolved {
  readonly address: string;
  readonly family: 4 | 6;
  /** Seconds spent resolving (0 for an IP literal). */
  readonly seconds: number;
}

/** `host` (brackets of an IPv6 literal removed) resolved once, now, through the system resolver. */
export async function resolveHost(host: string): Promise<Resolved> {
  const bare = host.replace(/^\[|\]$/g, '');
  const literal = isIP(bare);
  if (literal) return { address: bare, family: literal as 4 | 6, seconds: 0 };
  const t0 = performance.now();
  const { address, family } = await dnsLookup(bare);
  return { address, family: family as 4 | 6, seconds: (performance.now() - t0) / 1000 };
}

/** A socket `lookup` that answers with the address resolved for this run (no second lookup). */
export function fixedLookup(resolved: Resolved): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: resolved.address, family: resolved.family }]);
    else callback(null, resolved.address, resolved.family);
  }) as LookupFunction;
}

/** `TLSv1.3` → `TLS 1.3`, blackbox_exporter's spelling of probe_tls_version_info. */
export function tlsVersionLabel(protocol: string | null): string | undefined {
  if (!protocol) return undefined;
  const match = /^TLSv(\d(?:\.\d)?)$/.exec(protocol);
  return match ? `TLS ${match[1] === '1' ? '1.0' : match[1]}` : protocol;
}

/**
 * What the TLS handshake of the connection used established, read while it is open (a kept-alive
 * socket still has its peer certificate): the version, the certificate, and the chain judged
 * for `tls:expiry` (trust and host name as its failing conditions).
 */
export interface TlsFacts {
  readonly version: string | undefined;
  readonly peerCertificate: PeerCertificate | undefined;
  readonly chain: PresentedChain;
}

/** `hostname`: the name the certificate must carry (server_name, else the host connected to). */
export function tlsFacts(socket: TLSSocket, hostname: string): TlsFacts {
  const cert = socket.getPeerCertificate(true);
  return {
    version: tlsVersionLabel(socket.getProtocol()),
    peerCertificate: cert && Object.keys(cert).length ? cert : undefined,
    // Trust is judged even under insecure_skip_verify: an untrusted chain is reported, not hidden.
    chain: peerChain(socket, { verify: true, hostname: hostname.replace(/^\[|\]$/g, '') }),
  };
}

// OpenSSL's verification results as Node names them (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT…)
// and Node's host name mismatch: a handshake refused over the certificate.
const CERTIFICATE_ERROR =
  /^(UNABLE_TO_\w+|CERT_\w+|ERROR_IN_CERT_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** Whether `err` (or its cause) is a connection refused because the server certificate did not verify. */
export function isCertificateError(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && CERTIFICATE_ERROR.test(code)) return true;
  }
  return false;
}

/**
 * Node's reason for a failed connection; OpenSSL's own lines (`40ED…:error:0A00045C:SSL
 * routines:ssl3_read_bytes:tlsv13 alert certificate required:…`) reduced to their reason.
 */
export function networkReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const ssl = /:SSL routines:[^:]*:([^:]+):/.exec(message);
  return ssl ? (ssl[1] as string) : message;
}

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** `timed out after 4s (waiting for the first byte)`. */
export function deadlineError(ms: number, phase: string): DeadlineError {
  return new DeadlineError(`timed out after ${formatDuration(ms)} (${phase})`);
}
