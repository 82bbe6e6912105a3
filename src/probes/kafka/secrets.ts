// A Kafka connection as resolved from the config, and its secrets read at every connect.
import type { TlsSettings } from '../../config/tls.ts';
import { resolvePassword } from '../connection.ts';
import { tlsConnectOptions } from '../secret-file.ts';

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS to the brokers, null for plaintext; the files are named here and read at every connect (see readConnectionSecrets). */
  readonly tls: TlsSettings | null;
  readonly sasl:
    | { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password?: string; readonly passwordFile?: string }
    | undefined;
}

/** TLS options for tls.connect and the SASL credentials, with the files read. */
export interface KafkaSecrets {
  readonly ssl: boolean | { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized?: boolean } | undefined;
  readonly sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
}

/**
 * Reads the password and certificate files of a connection: at every connect, like PostgreSQL
 * and Redis, so a rotated Kubernetes secret is picked up and `vigil config check` needs no mounts.
 */
export async function readConnectionSecrets(connection: KafkaConnection): Promise<KafkaSecrets> {
  const ssl = connection.tls ? await tlsConnectOptions(connection.tls) : undefined;
  const s = connection.sasl;
  let sasl: KafkaSecrets['sasl'];
  if (s !== undefined) {
    const password = (await resolvePassword({ password: s.password, passwordFile: s.passwordFile }, 'sasl.password_file')) ?? '';
    sasl = { mechanism: s.mechanism, username: s.username, password };
  }
  return { ssl, sasl };
}
