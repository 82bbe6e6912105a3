// Secrets and certificates named in the config are read when a connection is made, never while
// validating: a rotated Kubernetes secret is picked up, and `vigil config check` needs no mounts.
import { readFile } from 'node:fs/promises';
import type { TlsSettings } from '../config/tls.ts';
import { reason } from '../text.ts';

/** The file's text; the error names the config key and the path, never the content. */
export async function readSecretFile(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${key} ${path}: ${code === 'ENOENT' ? 'no such file' : reason(err)}`, { cause: err });
  }
}

/** A password file's secret: a trailing newline is an artefact of how it was written, not part of it. */
export async function readPasswordFile(path: string, key: string): Promise<string> {
  return (await readSecretFile(path, key)).replace(/\r?\n$/, '');
}

/** The PEM files a `tls:` block names, read now; errors name the key the file was given by. */
export async function readTlsFiles(tls: TlsSettings): Promise<{ ca?: string; cert?: string; key?: string }> {
  const out: { ca?: string; cert?: string; key?: string } = {};
  if (tls.caFile !== undefined) out.ca = await readSecretFile(tls.caFile, tls.keys.caFile);
  if (tls.certFile !== undefined) out.cert = await readSecretFile(tls.certFile, tls.keys.certFile);
  if (tls.keyFile !== undefined) out.key = await readSecretFile(tls.keyFile, tls.keys.keyFile);
  return out;
}

/** Node's tls.connect options for a `tls:` block (Redis, Kafka): its files read, verification as set. */
export async function tlsConnectOptions(
  tls: TlsSettings,
): Promise<{ ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized: boolean }> {
  return {
    ...(await readTlsFiles(tls)),
    ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
    rejectUnauthorized: !tls.insecure,
  };
}
