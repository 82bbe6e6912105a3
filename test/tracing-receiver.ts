// A real OTLP/HTTP trace receiver for the tests: a local HTTP server on POST /v1/traces that
// decodes OTLP/JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) into plain spans. It can also be
// told to hang (accept requests and never answer) to play a slow collector.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly status: { code: number; message: string };
  readonly events: { name: string; attributes: Record<string, unknown> }[];
  readonly resource: Record<string, unknown>;
  readonly scope: string;
}

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly spans: ReceivedSpan[];
  /** Raw request bodies, to check nothing secret was sent. */
  readonly bodies: string[];
  readonly requests: { contentType: string; path: string; headers: Record<string, string | string[] | undefined> }[];
  /** When true, requests are accepted and never answered. */
  hang: boolean;
  close(): Promise<void>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: OtlpValue[] } };
type OtlpAttribute = { key: string; value: OtlpValue };

function decodeValue(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  return null;
}

export function decodeAttributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of list ?? []) out[a.key] = decodeValue(a.value);
  return out;
}

interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
        status?: { code?: number; message?: string };
        events?: { name: string; attributes?: OtlpAttribute[] }[];
      }[];
    }[];
  }[];
}

export function decodeOtlpJson(body: string): ReceivedSpan[] {
  const request = JSON.parse(body) as OtlpRequest;
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = decodeAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind,
          attributes: decodeAttributes(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: decodeAttributes(e.attributes) })),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

export async function startReceiver(): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: Omit<Receiver, 'url' | 'port' | 'close'> & { hang: boolean } = { spans: [], bodies: [], requests: [], hang: false };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      receiver.requests.push({ contentType, path: req.url ?? '', headers: req.headers });
      if (receiver.hang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      if (contentType.startsWith('application/json')) {
        const text = body.toString('utf8');
        receiver.bodies.push(text);
        receiver.spans.push(...decodeOtlpJson(text));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        // Protobuf: kept raw (the tests that use it only count requests and look for secrets).
        receiver.bodies.push(body.toString('latin1'));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  });
}
