// One TCP port: the name resolved, a new connection (and a TLS handshake with a tls: block)
// per run, timed by phase, then closed. Nothing is sent: the port speaks no HTTP.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { Attributes } from '@opentelemetry/api';
import { failedObservation } from '../../checks/judge.ts';
import { abortable } from '../../deadline.ts';
import { traced } from '../../telemetry/spans.ts';
import { reason } from '../../text.ts';
import { tlsExpiry } from '../certificates/metadata.ts';
import { reportChain } from '../certificates/peer.ts';
import { deadlineError, fixedLookup, isCertificateError, networkReason, resolveHost, tlsFacts, type TlsFacts } from '../http/network.ts';
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { tlsConnectOptions } from '../secret-file.ts';
import { emptyCollection, type Collection, type Probe, type ProbeContext } from '../types.ts';
import type { TcpOptions } from './config.ts';
import * as m from './metadata.ts';

export interface Connected {
  readonly phases: { readonly resolve: number; readonly connect: number; readonly tls: number };
  readonly totalSeconds: number;
  /** With a tls: block: the version and the server's certificate (for a certificate-expiry check). */
  readonly tls: TlsFacts | undefined;
}

export class TcpProbe extends DeclaredProbe<TcpOptions> implements Probe {
  readonly componentId: string;
  private readonly spanAttributes: Attributes;
  /** The last successful connect, for what reads the TLS peer certificate. */
  lastConnect: Connected | undefined;

  constructor(settings: ProbeSettings<TcpOptions>, _ctx: ProbeContext) {
    super(m.TCP, settings);
    this.componentId = settings.options.target;
    this.spanAttributes = { 'server.address': settings.options.host, 'server.port': settings.options.port, 'vigil.target': settings.options.target };
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const o = this.options;
    const labels = { target: o.target };
    const out = emptyCollection();
    let c: Connected;
    try {
      c = await traced('connect', this.spanAttributes, () => this.connect(signal));
    } catch (err) {
      signal.throwIfAborted();
      out.samples.push({ metric: m.up, labels, value: 0 });
      out.checks.push(failedObservation(m.connect, o.target, `${o.display}: ${reason(err)}`));
      // A handshake refused over the certificate fails its tls:expiry too (as the http kind does).
      if (isCertificateError(err)) out.checks.push(failedObservation(tlsExpiry, this.name, `${o.display}: ${reason(err)}`));
      return out;
    }
    this.lastConnect = c;
    out.samples.push({ metric: m.up, labels, value: 1 });
    for (const phase of ['resolve', 'connect', 'tls'] as const) {
      if (phase !== 'tls' || o.tls) out.samples.push({ metric: m.duration, labels: { target: o.target, phase }, value: c.phases[phase] });
    }
    if (c.tls?.version) out.samples.push({ metric: m.tlsVersion, labels: { target: o.target, version: c.tls.version }, value: 1 });
    if (c.tls) reportChain(out, c.tls.chain, { source: this.name, thresholds: o.expiryThresholds });
    const seconds = Math.round(c.totalSeconds * 1000) / 1000;
    out.checks.push({
      check: m.connect,
      componentId: o.target,
      observedValue: seconds,
      status: 'pass',
      output: `connected in ${seconds} s${c.tls?.version ? `, ${c.tls.version}` : ''}`,
    });
    return out;
  }

  async stop(): Promise<void> {}

  private async connect(signal: AbortSignal): Promise<Connected> {
    const o = this.options;
    let phase = 'resolving the name';
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(deadlineError(o.connectTimeoutMs, phase)), o.connectTimeoutMs);
    const abort = AbortSignal.any([signal, deadline.signal]);
    const t0 = performance.now();
    let socket: Socket | undefined;
    try {
      const tls = o.tls ? await tlsConnectOptions(o.tls) : undefined;
      const resolved = await abortable(resolveHost(o.host), abort);
      phase = 'connecting';
      const started = performance.now();
      const result = await new Promise<Connected>((resolve, reject) => {
        let connectedAt = started;
        const options = { host: o.host, port: o.port, lookup: fixedLookup(resolved) };
        socket = tls ? tlsConnect({ ...options, ...(isIP(o.host) ? {} : { servername: o.host }), ...tls }) : netConnect(options);
        const expectedName = tls?.servername ?? o.host;
        const s = socket;
        const onAbort = () => s.destroy(abort.reason as Error);
        abort.addEventListener('abort', onAbort, { once: true });
        const done = (value?: Connected, err?: unknown) => {
          abort.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve(value as Connected);
        };
        // One failure settles the run; a later error of the same socket is not its own.
        s.on('error', () => undefined);
        s.once('error', (err) => done(undefined, err));
        s.once('connect', () => {
          connectedAt = performance.now();
          phase = 'TLS handshake';
          if (!tls)
            done({
              phases: { resolve: resolved.seconds, connect: (connectedAt - started) / 1000, tls: 0 },
              totalSeconds: (connectedAt - t0) / 1000,
              tls: undefined,
            });
        });
        if (tls) {
          s.once('secureConnect', () => {
            const now = performance.now();
            done({
              phases: { resolve: resolved.seconds, connect: (connectedAt - started) / 1000, tls: (now - connectedAt) / 1000 },
              totalSeconds: (now - t0) / 1000,
              tls: tlsFacts(s as TLSSocket, expectedName),
            });
          });
        }
      });
      return result;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new Error(deadline.signal.aborted ? reason(deadline.signal.reason) : networkReason(err), { cause: err });
    } finally {
      clearTimeout(timer);
      (socket as Socket | undefined)?.destroy();
    }
  }
}
