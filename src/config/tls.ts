// The `tls:` block of every probe kind that reaches a server over the network (PostgreSQL,
// Redis and Kafka targets), one shape as Telegraf's tls.ClientConfig and OpenTelemetry's
// configtls have it:
//
//   tls:
//     ca_file: /etc/ssl/db-ca.pem        # instead of the system CAs
//     cert_file: /etc/vigil/client.pem   # mutual TLS, with key_file
//     key_file: /etc/vigil/client.key
//     server_name: db.internal           # name expected in the certificate
//     insecure_skip_verify: false
//
// Files are only named here: they are read at every connect (probes/secret-file.ts), so a
// rotated certificate is picked up without a restart and validation does no I/O. Whether TLS
// is on stays each kind's rule (a rediss:// URL, PostgreSQL's sslmode, Kafka's block itself).
import { z } from 'zod';
import type { ReportDeprecated } from './deprecation.ts';

/** A kind's ReportProblem: a path relative to its section, and what is wrong there. */
type ReportProblem = (path: string, message: string) => void;

const filePath = z.string({ error: 'must be a file path' }).min(1, { error: 'must be a file path' });

export const tlsBlock = z
  .strictObject({
    ca_file: filePath
      .optional()
      .describe('PEM file of the CA(s) that signed the server certificate, trusted instead of the system ones; read at every connect'),
    cert_file: filePath.optional().describe('Client certificate chain (PEM) for mutual TLS, with key_file; read at every connect'),
    key_file: filePath.optional().describe('Client private key (PEM) for mutual TLS, with cert_file; read at every connect'),
    server_name: z
      .string({ error: 'must be a host name' })
      .min(1, { error: 'must be a host name' })
      .optional()
      .describe('Name the server certificate must carry (and SNI), when it is not the host connected to'),
    insecure_skip_verify: z
      .boolean({ error: 'must be true or false' })
      .optional()
      .describe('Encrypt without verifying the server certificate (testing only, never production)'),
  })
  .describe('TLS to the server: CA, client certificate and key (files re-read at every connect), server name, verification');

export type TlsInput = z.infer<typeof tlsBlock>;

/** A resolved `tls:` block. Files are named, not read. */
export interface TlsSettings {
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly serverName: string | undefined;
  /** insecure_skip_verify: the server certificate is not verified. */
  readonly insecure: boolean;
  /** The config key that named each file (`tls.ca_file`, or its deprecated name), for read errors. */
  readonly keys: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
}

const BLOCK_KEYS: TlsSettings['keys'] = Object.freeze({ caFile: 'tls.ca_file', certFile: 'tls.cert_file', keyFile: 'tls.key_file' });

/** TLS with nothing configured: the system CAs, the certificate verified against the host. */
export const DEFAULT_TLS: TlsSettings = Object.freeze({
  caFile: undefined,
  certFile: undefined,
  keyFile: undefined,
  serverName: undefined,
  insecure: false,
  keys: BLOCK_KEYS,
});

/** A kind's former key for one field of the block (`ssl_ca_file` → `ca_file`), with the value given. */
export interface LegacyTlsKey {
  readonly key: string;
  readonly field: keyof TlsInput;
  readonly value: string | boolean | undefined;
}

const FILE_FIELDS = { ca_file: 'caFile', cert_file: 'certFile', key_file: 'keyFile' } as const;

/**
 * The target's `tls:` block with its deprecated keys mapped onto it; undefined when neither is
 * given. Each deprecated key used is reported through `deprecated` (it still works); setting
 * one together with the block field it stands for is a problem. Paths are relative to the target.
 */
export function resolveTls(
  block: TlsInput | undefined,
  legacy: readonly LegacyTlsKey[],
  report: ReportProblem,
  deprecated: ReportDeprecated,
): TlsSettings | undefined {
  const merged: { -readonly [K in keyof TlsInput]: TlsInput[K] } = { ...block };
  const keys: { -readonly [K in keyof TlsSettings['keys']]: string } = { ...BLOCK_KEYS };
  let given = block !== undefined;
  for (const old of legacy) {
    if (old.value === undefined) continue;
    given = true;
    deprecated(old.key, `tls.${old.field}`);
    if (block?.[old.field] !== undefined) {
      report(old.key, `is the former name of tls.${old.field}, which is set too: keep tls.${old.field} only`);
      continue;
    }
    (merged as Record<string, unknown>)[old.field] = old.value;
    if (old.field in FILE_FIELDS) keys[FILE_FIELDS[old.field as keyof typeof FILE_FIELDS]] = old.key;
  }
  if (!given) return undefined;
  if ((merged.cert_file === undefined) !== (merged.key_file === undefined)) report('tls', 'cert_file and key_file go together');
  return Object.freeze({
    caFile: merged.ca_file,
    certFile: merged.cert_file,
    keyFile: merged.key_file,
    serverName: merged.server_name,
    insecure: merged.insecure_skip_verify ?? false,
    keys: Object.freeze(keys),
  });
}
