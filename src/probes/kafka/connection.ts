// One connection to one broker: TCP or TLS, SASL (PLAIN, SCRAM-SHA-256/512) right after
// connecting, ApiVersions to check the versions the probe speaks, then requests in flight matched
// to answers by correlation id. A request that times out destroys the connection: a broker that
// stopped answering (frozen, GC storm) must not keep a socket and pending requests alive.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import {
  API,
  type ApiName,
  decodeApiVersions,
  decodeSaslAuthenticate,
  decodeSaslHandshake,
  encodeRequest,
  encodeSaslAuthenticate,
  encodeSaslHandshake,
  MIN_VERSION,
  Reader,
  readResponseHeader,
} from './protocol.ts';
import type { KafkaSecrets } from './secrets.ts';

export interface BrokerConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly timeoutMs: number;
  readonly secrets: KafkaSecrets;
  /** Called once per request sent, with its API name (tests and the benchmark count them). */
  readonly onRequest: (api: ApiName) => void;
  /** Called once when the connection fails or is closed, with why. */
  readonly onClosed: (err: Error) => void;
}

interface Pending {
  readonly api: ApiName;
  readonly resolve: (r: Reader) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class BrokerConnection {
  private readonly options: BrokerConnectionOptions;
  private socket: Socket | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private correlationId = 0;
  private buffered: Buffer = Buffer.alloc(0);
  private versions = new Map<number, { min: number; max: number }>();
  private closedWith: Error | null = null;

  constructor(options: BrokerConnectionOptions) {
    this.options = options;
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** The open TLS socket, for the certificate its broker presented; null on plaintext or before connecting. */
  get tlsSocket(): TLSSocket | null {
    const socket = this.socket;
    return socket && !this.closed && 'getPeerCertificate' in socket ? (socket as TLSSocket) : null;
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** The version of `api` to send: the probe's, when the broker's range includes it. */
  version(api: ApiName): number {
    const range = this.versions.get(API[api].key);
    const wanted = API[api].version;
    if (!range) throw new Error(`broker ${this.address} does not support ${api}`);
    const chosen = Math.min(wanted, range.max);
    if (chosen < range.min || chosen < (MIN_VERSION[api] ?? wanted)) throw new Error(`broker ${this.address} does not support ${api} v${wanted}`);
    return chosen;
  }

  supports(api: ApiName): boolean {
    try {
      this.version(api);
      return true;
    } catch {
      return false;
    }
  }

  /** Connects (once), authenticates, negotiates versions. */
  open(): Promise<void> {
    this.ready ??= this.establish();
    return this.ready;
  }

  private async establish(): Promise<void> {
    const { host, port, timeoutMs, secrets } = this.options;
    const tls = secrets.ssl;
    // node:tls only for clusters that use it.
    const tlsConnect = tls ? (await import('node:tls')).connect : null;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const options: ConnectionOptions = tls && typeof tls === 'object' ? { ...tls, host, port } : { host, port };
      if (tls && options.servername === undefined && !/^[\d.:]+$/.test(host)) options.servername = host;
      const s = tlsConnect ? tlsConnect(options) : netConnect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connecting to broker ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to broker ${host}:${port}: ${err.message}`));
      });
    }).catch((err: unknown) => {
      this.destroy(err as Error);
      throw err;
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new Error(`broker ${this.address}: ${err.message}`)));
    socket.on('close', () => this.fail(new Error(`broker ${this.address} closed the connection`)));
    try {
      // Before authenticating only ApiVersions and SaslHandshake are allowed; both are v0/v1-stable.
      this.versions = decodeApiVersions(await this.send('ApiVersions', () => Buffer.alloc(0), 0));
      if (secrets.sasl) await this.authenticate(secrets.sasl);
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  private async authenticate(sasl: NonNullable<KafkaSecrets['sasl']>): Promise<void> {
    const mechanism = sasl.mechanism.toUpperCase();
    decodeSaslHandshake(await this.send('SaslHandshake', () => encodeSaslHandshake(mechanism), 1));
    const exchange = async (bytes: Buffer) => decodeSaslAuthenticate(await this.send('SaslAuthenticate', () => encodeSaslAuthenticate(bytes), 1));
    if (sasl.mechanism === 'plain') {
      await exchange(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'));
      return;
    }
    await scram(sasl.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', sasl.username, sasl.password, exchange);
  }

  /** Sends one request; resolves with a reader positioned at the response body. */
  async request(api: ApiName, body: (version: number) => Buffer): Promise<{ reader: Reader; version: number }> {
    await this.open();
    const version = this.version(api);
    return { reader: await this.send(api, () => body(version), version), version };
  }

  private send(api: ApiName, body: () => Buffer, version: number): Promise<Reader> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error(`broker ${this.address}: not connected`));
    this.correlationId = (this.correlationId + 1) & 0x7fffffff;
    const id = this.correlationId;
    const frame = encodeRequest(api, version, id, this.options.clientId, body());
    this.options.onRequest(api);
    return new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.destroy(new Error(`${api} to broker ${this.address} timed out after ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending.set(id, { api, resolve, reject, timer });
      socket.write(frame);
    });
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const reader = new Reader(frame);
      const id = reader.int32();
      const pending = this.pending.get(id);
      if (!pending) continue; // an answer to a request already given up on
      this.pending.delete(id);
      clearTimeout(pending.timer);
      try {
        readResponseHeader(pending.api, reader);
        pending.resolve(reader);
      } catch (err) {
        pending.reject(err as Error);
      }
    }
  }

  private fail(err: Error): void {
    this.destroy(err);
  }

  /** Closes the socket; every request in flight fails with `err`. */
  destroy(err: Error = new Error(`connection to broker ${this.address} closed`)): void {
    if (!this.closedWith) {
      this.closedWith = err;
      this.options.onClosed(err);
    }
    this.socket?.destroy();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(this.closedWith);
    }
  }
}

/** SCRAM (RFC 5802) client: client-first, server-first, client-final with proof, server signature checked. */
export async function scram(
  hash: 'sha256' | 'sha512',
  username: string,
  password: string,
  exchange: (bytes: Buffer) => Promise<Buffer>,
  nonce = randomBytes(24).toString('base64'),
): Promise<void> {
  const user = username.replace(/=/g, '=3D').replace(/,/g, '=2C');
  const clientFirstBare = `n=${user},r=${nonce}`;
  const serverFirst = (await exchange(Buffer.from(`n,,${clientFirstBare}`, 'utf8'))).toString('utf8');
  const attrs = new Map(serverFirst.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
  const serverNonce = attrs.get('r') ?? '';
  const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
  const iterations = Number(attrs.get('i'));
  if (!serverNonce.startsWith(nonce) || !Number.isInteger(iterations) || iterations < 1) throw new Error('SASL SCRAM: unexpected server-first message');
  const keyLength = hash === 'sha256' ? 32 : 64;
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, keyLength, hash);
  const hmac = (key: Buffer, text: string) => createHmac(hash, key).update(text).digest();
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash(hash).update(clientKey).digest();
  const clientFinalBare = `c=biws,r=${serverNonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${clientFinalBare}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ (signature[i] as number)));
  const serverFinal = (await exchange(Buffer.from(`${clientFinalBare},p=${proof.toString('base64')}`, 'utf8'))).toString('utf8');
  const verifier = /(?:^|,)v=([^,]+)/.exec(serverFinal)?.[1];
  const expected = hmac(hmac(salted, 'Server Key'), authMessage);
  const given = Buffer.from(verifier ?? '', 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('SASL SCRAM: the server signature does not match');
}
