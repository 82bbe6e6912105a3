// The Node servers under the Fastify apps: every request has a deadline, connections are
// capped per listener, and the main port may serve TLS from files re-read when they change.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { FastifyServerFactory } from 'fastify';
import type { HttpCounters } from './http-metrics.ts';
import { http } from '../node-http.ts';

export interface ServerLimits {
  /** Headers, handler and answer together; also the idle limit of a connection. */
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  /** Names the listener in vigil_http_connections_dropped_total. */
  readonly listener: 'main' | 'probe';
  readonly counters: HttpCounters;
  /** HTTPS; its certificate and key are set with setSecureContext() before listen(). */
  readonly tls?: boolean;
}

/** How long an idle keep-alive connection is kept: probes and scrapes reconnect cheaply. */
const KEEP_ALIVE_MS = 5000;

export function serverFactory(limits: ServerLimits): FastifyServerFactory {
  return (handler) => {
    const deadline = limits.requestTimeoutMs;
    const options = {
      requestTimeout: deadline,
      headersTimeout: deadline,
      keepAliveTimeout: Math.min(KEEP_ALIVE_MS, deadline),
      // How often Node checks the two timeouts above; its default (30 s) would let a trickling
      // client hold its socket that much longer than the deadline.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(deadline / 2))),
    };
    // A hard stop however the client behaves (a slow reader of a long answer included).
    const withDeadline = (req: IncomingMessage, res: ServerResponse) => {
      const timer = setTimeout(() => req.socket.destroy(), deadline);
      res.once('close', () => clearTimeout(timer));
      handler(req, res);
    };
    const server: Server = limits.tls ? createHttpsServer(options, withDeadline) : http.createServer(options, withDeadline);
    server.timeout = deadline; // idle socket, before or between requests
    server.maxConnections = limits.maxConnections;
    server.on('drop', () => limits.counters.drop(limits.listener));
    return server;
  };
}
