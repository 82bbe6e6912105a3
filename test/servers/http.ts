// Real HTTP(S) servers for the http and tcp probe tests, on free loopback ports: Node's own
// (a handler per test) and `openssl s_server -www` (another TLS stack), with certificates
// made by openssl in the test's directory. Every server is stopped by the test's teardown.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/lib.ts';
import { startProcess } from './process.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Certificates {
  readonly ca: string;
  readonly otherCa: string;
  /** Signed by `ca` for IP 127.0.0.1 and DNS `serverName` (default api.vigil.test). */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Signed by `ca`, for 127.0.0.1, expired yesterday. */
  readonly expiredCert: string;
  readonly expiredKey: string;
  /** Signed by `ca` for client authentication (mutual TLS). */
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * A CA and the certificates it signed, made with openssl in `dir`: the server's for 127.0.0.1 and
 * `serverName`, the client's with CN `clientName` (PostgreSQL maps it to a role).
 */
export function certificates(dir: string, { serverName = 'api.vigil.test', clientName = 'vigil' } = {}): Certificates {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=vigil test CA');
  const signed = (name: string, subject: string, extensions: string, days = '1') => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    writeFileSync(file(`${name}.ext`), `${extensions}\n`);
    // -days -1: notAfter a day before notBefore, an expired certificate without a clock change.
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      days,
      '-extfile',
      file(`${name}.ext`),
    );
  };
  signed('server', '/CN=127.0.0.1', `subjectAltName=IP:127.0.0.1,DNS:${serverName}`);
  signed('expired', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1', '-1');
  signed('client', `/CN=${clientName}`, 'extendedKeyUsage=clientAuth');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('other.key'), '-out', file('other-ca.pem'), '-days', '1', '-subj', '/CN=another CA');
  return {
    ca: file('ca.pem'),
    otherCa: file('other-ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    expiredCert: file('expired.pem'),
    expiredKey: file('expired.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

export interface TestHttpServer {
  readonly port: number;
  /** `http(s)://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  /** TCP connections accepted so far. */
  readonly connections: () => number;
  /** Requests received so far, with their headers. */
  readonly requests: IncomingMessage[];
  /** The Node server itself (keepAliveTimeout and the like). */
  readonly server: import('node:http').Server;
  close(): Promise<void>;
}

export interface HttpServerOptions {
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string; readonly requestCert?: boolean };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A Node HTTP (or HTTPS) server on a free loopback port, answering with `handler`. */
export async function httpServer(t: Teardown, handler: Handler, options: HttpServerOptions = {}): Promise<TestHttpServer> {
  const sockets = new Set<Socket>();
  const requests: IncomingMessage[] = [];
  let connections = 0;
  const onRequest: Handler = (req, res) => {
    requests.push(req);
    handler(req, res);
  };
  const tls = options.tls;
  const server = tls
    ? createHttpsServer(
        {
          cert: readFileSync(tls.cert),
          key: readFileSync(tls.key),
          ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
          ...(tls.requestCert ? { requestCert: true, rejectUnauthorized: true } : {}),
        },
        onRequest,
      )
    : createHttpServer(onRequest);
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.teardown(close);
  return { port, url: (path = '/') => `${tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`, connections: () => connections, requests, server, close };
}

export interface OpensslServer {
  readonly port: number;
  readonly pid: number;
  url(path?: string): string;
  stop(): Promise<void>;
}

/** `openssl s_server -www` on a free loopback port: answers every GET with 200 and a status page. */
export async function opensslServer(t: Teardown, cert: string, key: string): Promise<OpensslServer> {
  const port = await freePort();
  const { pid, stop } = await startProcess(
    t,
    'openssl s_server',
    'openssl',
    ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-www', '-quiet'],
    () => accepts(port),
  );
  return { port, pid, url: (path = '/') => `https://127.0.0.1:${port}${path}`, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
