// One HTTP(S) request of a target, with its phases timed from the socket's events (resolve,
// connect, tls, processing, transfer, as blackbox_exporter splits them), over the target's own
// keep-alive agent. The name is resolved at every run; when its address changes the kept
// connection is dropped. The body is read up to a cap and then the connection is dropped
// (a 50 MB answer costs 1 MiB at most); only what a match needs is kept.
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import https from 'node:https';
import { http } from '../../node-http.ts';
import type { TLSSocket } from 'node:tls';
import { abortable } from '../../deadline.ts';
import { redactUrl } from '../../redact.ts';
import { printable, reason } from '../../text.ts';
import { tlsConnectOptions } from '../secret-file.ts';
import type { HttpOptions } from './config.ts';
import { isJsonType } from './json.ts';
import { deadlineError, fixedLookup, networkReason, resolveHost, tlsFacts, type Resolved, type TlsFacts } from './network.ts';

export const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
export type Phase = (typeof PHASES)[number];
export type Phases = Record<Phase, number>;

export interface Answer {
  readonly statusCode: number;
  /** `Service Unavailable`: the standard reason phrase, else the server's (made printable). */
  readonly statusText: string;
  readonly contentType: string | undefined;
  /** The Content-Length header, when given. */
  readonly contentLength: number | undefined;
  /** Body bytes received (at most the cap, or a chunk beyond it). */
  readonly bodyBytes: number;
  /** The body's first bytes, up to the cap, when a match or a JSON body needs them. */
  readonly body: Buffer | undefined;
  /** The body was longer than the cap: the rest was not read. */
  readonly truncated: boolean;
  readonly redirects: number;
  readonly phases: Phases;
  readonly totalSeconds: number;
  /** For HTTPS: the protocol version and the server's certificate (see TlsFacts). */
  readonly tls: TlsFacts | undefined;
  /** The last URL requested, redacted. */
  readonly finalUrl: string;
}

/** No answer: why, and the phases measured up to the failure. */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly phases: Phases;
  readonly redirects: number;
  constructor(message: string, phases: Phases, redirects: number, cause?: unknown) {
    super(message, { cause });
    this.phases = phases;
    this.redirects = redirects;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRY = Symbol('retry on a new connection');

type Hop = Omit<Answer, 'redirects' | 'phases' | 'totalSeconds' | 'finalUrl'> & { readonly location: string | undefined };

export class HttpClient {
  private readonly o: HttpOptions;
  private agents = new Map<string, HttpAgent>();
  /** The address each host:port resolved to last: a change drops the kept connections. */
  private readonly addresses = new Map<string, string>();

  constructor(options: HttpOptions) {
    this.o = options;
  }

  /**
   * GET/HEAD the target's URL (following redirects when configured) with `headers`; `keepBody`
   * keeps the body's first bytes even when it is not JSON. Rejects with a RequestError when no
   * answer came, or with the signal's reason when the run is aborted.
   */
  async fetch(signal: AbortSignal, headers: Readonly<Record<string, string>>, keepBody: boolean): Promise<Answer> {
    const o = this.o;
    const phases: Phases = { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 };
    let phase = 'resolving the name';
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(deadlineError(o.requestTimeoutMs, phase)), o.requestTimeoutMs);
    const abort = AbortSignal.any([signal, deadline.signal]);
    const t0 = performance.now();
    let url = new URL(o.url);
    const origin = url.origin;
    let sent = headers;
    let redirects = 0;
    try {
      // Read at every run, like the header files: a rotated certificate needs no restart.
      const tls = o.tls ? await tlsConnectOptions(o.tls) : undefined;
      for (;;) {
        phase = 'resolving the name';
        const resolved = await abortable(resolveHost(url.hostname), abort);
        phases.resolve += resolved.seconds;
        this.noteAddress(url, resolved);
        // A server may close an idle kept connection just as it is reused: once, on a new one.
        let hop = await this.hop(url, resolved, sent, tls, url.origin === origin, keepBody, abort, phases, (p) => (phase = p), true);
        if (hop === RETRY) hop = (await this.hop(url, resolved, sent, tls, url.origin === origin, keepBody, abort, phases, (p) => (phase = p), false)) as Hop;
        const answer = hop as Hop;
        if (o.maxRedirects > 0 && REDIRECTS.has(answer.statusCode) && answer.location !== undefined) {
          let next: URL;
          try {
            next = new URL(answer.location, url);
          } catch {
            throw new Error(`${answer.statusCode} redirect to an invalid Location`);
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`${answer.statusCode} redirect to a ${next.protocol} URL`);
          if (redirects >= o.maxRedirects) throw new Error(`more than ${o.maxRedirects} redirects (the last to ${redactUrl(next.href)})`);
          redirects++;
          // Configured headers (tokens) go to the configured origin only.
          if (next.origin !== origin) sent = {};
          url = next;
          continue;
        }
        const { location: _location, ...rest } = answer;
        return { ...rest, redirects, phases, totalSeconds: (performance.now() - t0) / 1000, finalUrl: redactUrl(url.href) };
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const why = deadline.signal.aborted ? reason(deadline.signal.reason) : networkReason(err);
      throw new RequestError(why, phases, redirects, err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every kept connection. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private agent(protocol: string): HttpAgent {
    let agent = this.agents.get(protocol);
    if (!agent) {
      const options = { keepAlive: this.o.keepAlive, maxFreeSockets: 1 };
      agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(protocol, agent);
    }
    return agent;
  }

  private noteAddress(url: URL, resolved: Resolved): void {
    const key = `${url.protocol}//${url.host}`;
    const before = this.addresses.get(key);
    this.addresses.set(key, resolved.address);
    if (before !== undefined && before !== resolved.address) this.close();
  }

  private hop(
    url: URL,
    resolved: Resolved,
    headers: Readonly<Record<string, string>>,
    tls: Awaited<ReturnType<typeof tlsConnectOptions>> | undefined,
    sameOrigin: boolean,
    keepBody: boolean,
    abort: AbortSignal,
    phases: Phases,
    setPhase: (phase: string) => void,
    mayRetry: boolean,
  ): Promise<Hop | typeof RETRY> {
    const o = this.o;
    const secure = url.protocol === 'https:';
    // The tls: block is the configured server's; another origin gets the system CAs.
    const tlsOptions = secure ? (sameOrigin && tls ? tls : {}) : {};
    return new Promise((resolve, reject) => {
      if (abort.aborted) return reject(abort.reason);
      const start = performance.now();
      let ready = start;
      let responded = false;
      setPhase('connecting');
      const req = (secure ? https : http).request(url, {
        method: o.method,
        headers: { 'user-agent': 'vigil', ...headers },
        agent: this.agent(url.protocol),
        lookup: fixedLookup(resolved),
        ...tlsOptions,
      });
      const onAbort = () => req.destroy(abort.reason as Error);
      abort.addEventListener('abort', onAbort, { once: true });
      const settle = () => abort.removeEventListener('abort', onAbort);
      req.once('socket', (socket) => {
        if (req.reusedSocket || !socket.connecting) {
          setPhase('waiting for the first byte');
          return;
        }
        socket.once('connect', () => {
          const now = performance.now();
          phases.connect += (now - start) / 1000;
          ready = now;
          setPhase(secure ? 'TLS handshake' : 'waiting for the first byte');
        });
        if (secure) {
          socket.once('secureConnect', () => {
            const now = performance.now();
            phases.tls += (now - ready) / 1000;
            ready = now;
            setPhase('waiting for the first byte');
          });
        }
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        settle();
        if (mayRetry && !responded && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) resolve(RETRY);
        else reject(err);
      });
      req.once('response', (res: IncomingMessage) => {
        responded = true;
        const first = performance.now();
        phases.processing += (first - ready) / 1000;
        setPhase('reading the body');
        const contentType = res.headers['content-type'];
        const lengthHeader = res.headers['content-length'];
        const keep = keepBody || isJsonType(contentType);
        const cap = o.maxBodyBytes;
        // The socket this request used (new or kept alive): its certificate is the one reported.
        const tlsInfo = secure ? tlsFacts(req.socket as TLSSocket, (tlsOptions as { servername?: string }).servername ?? url.hostname) : undefined;
        const chunks: Buffer[] = [];
        let bytes = 0;
        let kept = 0;
        let done = false;
        const finish = (truncated: boolean) => {
          if (done) return;
          done = true;
          settle();
          phases.transfer += (performance.now() - first) / 1000;
          const code = res.statusCode ?? 0;
          resolve({
            statusCode: code,
            statusText: http.STATUS_CODES[code] ?? printable(res.statusMessage ?? ''),
            contentType,
            contentLength: lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined,
            bodyBytes: bytes,
            body: keep ? Buffer.concat(chunks) : undefined,
            truncated,
            tls: tlsInfo,
            location: res.headers.location,
          });
          // The rest is not read: the connection cannot be reused, drop it.
          if (truncated) res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keep && kept < cap) {
            const part = chunk.subarray(0, cap - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (bytes > cap) finish(true);
        });
        res.once('end', () => finish(false));
        const fail = (err: Error) => {
          if (done) return;
          done = true;
          settle();
          reject(err);
        };
        res.once('error', fail);
        res.once('aborted', () => fail(new Error('connection closed while reading the body')));
      });
      req.end();
    });
  }
}
