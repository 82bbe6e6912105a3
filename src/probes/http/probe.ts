// One HTTP(S) endpoint: one request per run over the target's keep-alive agent, judged on its
// status, body and JSON field (http:status), its total time (http:latency, with a rolling p95)
// and, when the target answers health JSON, the status it gives itself (http:health).
import type { Attributes } from '@opentelemetry/api';
import { failedObservation, judge } from '../../checks/judge.ts';
import { traced } from '../../telemetry/spans.ts';
import { printable, reason } from '../../text.ts';
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { tlsExpiry } from '../certificates/metadata.ts';
import { reportChain } from '../certificates/peer.ts';
import { readPasswordFile } from '../secret-file.ts';
import { emptyCollection, type CheckObservation, type Collection, type Probe, type ProbeContext, type Sample } from '../types.ts';
import type { HttpOptions } from './config.ts';
import { healthOf, isHealthJsonType, isJsonType, valueAt } from './json.ts';
import { isCertificateError } from './network.ts';
import * as m from './metadata.ts';
import { HttpClient, PHASES, RequestError, type Answer, type Phases } from './request.ts';

/** Nearest-rank p95 of `values` (not empty). */
export function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)] as number;
}

/** `503 Service Unavailable`, or the bare code when the server gave no reason phrase we know. */
const statusLineOf = (a: Answer): string => (a.statusText ? `${a.statusCode} ${a.statusText}` : String(a.statusCode));

/** Seconds to the millisecond, as latencies read. */
const ms3 = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** At most 80 characters of something the target sent, safe to show. */
function quote(value: unknown): string {
  const text = printable(JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export class HttpProbe extends DeclaredProbe<HttpOptions> implements Probe {
  readonly componentId: string;
  private readonly client: HttpClient;
  /** OTel HTTP client attributes: the redacted URL, never a header. */
  private readonly spanAttributes: Attributes;
  /** Total times of the last latency_window runs that got an answer. */
  private readonly window: number[] = [];
  /**
   * The last answer without its body (not kept between runs): for what reads the TLS peer
   * certificate (`tls.peerCertificate`, a certificate-expiry check) and for tests.
   */
  lastAnswer: (Omit<Answer, 'body'> & { readonly keptBytes: number }) | undefined;

  constructor(settings: ProbeSettings<HttpOptions>, _ctx: ProbeContext) {
    super(m.HTTP, settings);
    this.componentId = settings.options.target;
    this.client = new HttpClient(settings.options);
    const url = new URL(settings.options.url);
    this.spanAttributes = {
      'http.request.method': settings.options.method,
      'url.full': settings.options.display,
      'server.address': url.hostname.replace(/^\[|\]$/g, ''),
      'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      'vigil.target': settings.options.target,
    };
  }

  async start(signal: AbortSignal): Promise<void> {
    // Connecting is collect's job: a target down at startup is a failed check, not a failed start.
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const o = this.options;
    const labels = { target: o.target };
    let answer: Answer;
    try {
      const headers = await this.headers();
      answer = await traced(o.method, this.spanAttributes, async (span) => {
        const a = await this.client.fetch(signal, headers, o.body !== undefined || o.json !== undefined);
        span.setAttribute('http.response.status_code', a.statusCode);
        return a;
      });
    } catch (err) {
      signal.throwIfAborted();
      const out = emptyCollection();
      out.samples.push({ metric: m.up, labels, value: 0 }, { metric: m.statusCode, labels, value: 0 });
      if (err instanceof RequestError) out.samples.push(...this.phaseSamples(err.phases), { metric: m.redirects, labels, value: err.redirects });
      out.checks.push(failedObservation(m.status, o.target, `${o.display}: ${reason(err)}`));
      // A handshake refused over the certificate is its certificate's failure too (the socket is
      // gone: no chain to show; insecure_skip_verify reads it anyway).
      if (isCertificateError(err)) out.checks.push(failedObservation(tlsExpiry, this.name, `${o.display}: ${reason(err)}`));
      return out;
    }
    const { body, ...rest } = answer;
    this.lastAnswer = { ...rest, keptBytes: body?.length ?? 0 };
    return this.report(answer);
  }

  async stop(): Promise<void> {
    this.client.close();
  }

  /** The configured headers, files read now (a rotated token is used at the next run). */
  private async headers(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const h of this.options.headers) {
      out[h.name] = 'value' in h ? h.value : `${h.prefix}${await readPasswordFile(h.file, h.key)}`;
      if (/[\r\n\0]/.test(out[h.name] as string)) throw new Error(`${'key' in h ? h.key : `headers.${h.name}`}: the value must be one line`);
    }
    return out;
  }

  private phaseSamples(phases: Phases): Sample[] {
    return PHASES.map((phase) => ({ metric: m.duration, labels: { target: this.options.target, phase }, value: phases[phase] }));
  }

  private report(a: Answer): Collection {
    const o = this.options;
    const labels = { target: o.target };
    const out = emptyCollection();
    this.window.push(a.totalSeconds);
    if (this.window.length > o.latencyWindow) this.window.splice(0, this.window.length - o.latencyWindow);
    const percentile = p95(this.window);

    let doc: unknown;
    let parsed = false;
    if (a.body && isJsonType(a.contentType) && !a.truncated) {
      try {
        doc = JSON.parse(a.body.toString('utf8'));
        parsed = true;
      } catch {
        // Not JSON after all: a json: match says so below; health is simply not reported.
      }
    }
    const mismatch = this.mismatch(a, doc, parsed);
    out.samples.push(
      { metric: m.up, labels, value: mismatch ? 0 : 1 },
      { metric: m.statusCode, labels, value: a.statusCode },
      ...this.phaseSamples(a.phases),
      { metric: m.latencyP95, labels, value: percentile },
      { metric: m.contentLength, labels, value: a.contentLength ?? a.bodyBytes },
      { metric: m.redirects, labels, value: a.redirects },
    );
    if (a.tls?.version) out.samples.push({ metric: m.tlsVersion, labels: { target: o.target, version: a.tls.version }, value: 1 });
    if (a.tls) reportChain(out, a.tls.chain, { source: this.name, thresholds: o.expiryThresholds });

    const via = a.redirects ? ` after ${a.redirects} redirect${a.redirects > 1 ? 's' : ''}` : '';
    const statusLine = statusLineOf(a);
    out.checks.push(
      mismatch
        ? { check: m.status, componentId: o.target, observedValue: a.statusCode, status: 'fail', output: `${o.display}: ${mismatch}${via}` }
        : {
            check: m.status,
            componentId: o.target,
            observedValue: a.statusCode,
            status: 'pass',
            output: `${statusLine}${via}${a.tls?.version ? `, ${a.tls.version}` : ''}`,
          },
      judge(
        m.latency,
        o.target,
        ms3(a.totalSeconds),
        o.thresholds.latency,
        `${ms3(a.totalSeconds)} s`,
        `, p95 ${ms3(percentile)} s over the last ${this.window.length} runs`,
      ),
    );
    const health = parsed ? healthOf(doc, isHealthJsonType(a.contentType)) : undefined;
    if (health) out.checks.push(this.healthObservation(health.status, health.said));
    return out;
  }

  /** Why the answer is not the expected one; undefined when it is. */
  private mismatch(a: Answer, doc: unknown, parsed: boolean): string | undefined {
    const o = this.options;
    if (!o.expect.some((r) => a.statusCode >= r.from && a.statusCode <= r.to)) return `${statusLineOf(a)} (expected ${o.expectText})`;
    const cut = a.truncated ? ` in the first ${a.body?.length ?? 0} bytes` : '';
    if (o.body) {
      const text = (a.body ?? Buffer.alloc(0)).toString('utf8');
      if ('contains' in o.body && !text.includes(o.body.contains)) return `body does not contain the expected text${cut}`;
      if ('regex' in o.body && !o.body.regex.test(text)) return `body does not match ${o.body.regex}${cut}`;
    }
    if (o.json) {
      if (!parsed)
        return a.truncated
          ? `body longer than max_body_size (${o.maxBodyBytes} bytes): JSON not read`
          : `body is not JSON (${a.contentType ?? 'no Content-Type'})`;
      const found = valueAt(doc, o.json.path);
      if (found === undefined) return `JSON has no ${o.json.pathText}`;
      if (JSON.stringify(found) !== JSON.stringify(o.json.equals)) return `JSON ${o.json.pathText} is ${quote(found)}, expected ${quote(o.json.equals)}`;
    }
    return undefined;
  }

  private healthObservation(status: 'pass' | 'warn' | 'fail', said: string): CheckObservation {
    const output = `reports status ${quote(said)}`;
    if (status === 'warn') return { check: m.health, componentId: this.options.target, observedValue: said, status, severity: 'SEV3', output };
    return { check: m.health, componentId: this.options.target, observedValue: said, status, output };
  }
}
