// Wires the configured probes, the runner, the stores and the HTTP app; owns the lifecycle.
// It never exits the process: main decides that from what start()/shutdown() return or throw.
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { CheckStore } from './checks/store.ts';
import type { ResolvedConfig } from './config/load.ts';
import { formatDuration } from './config/duration.ts';
import { VigilError } from './errors.ts';
import { buildApp } from './http/app.ts';
import { HttpCounters } from './http/http-metrics.ts';
import { serverFactory } from './http/server.ts';
import { TokenFile, WatchedFile } from './http/watched-file.ts';
import type { Server as TlsServer } from 'node:tls';
import { EventLoopWatch } from './metrics/event-loop.ts';
import { componentLogger, type Logger } from './log/logger.ts';
import { registerCoreMetrics } from './metrics/core.ts';
import { MetricStore } from './metrics/family.ts';
import { registerRuntimeMetrics, type RuntimeMetrics } from './metrics/runtime.ts';
import type { ProbeKind } from './probes/kind.ts';
import { Runner } from './runner/runner.ts';
import { startTracing, type Tracing } from './telemetry/tracing.ts';
import { tracingPlan, type TracingPlan } from './telemetry/settings.ts';
import { VERSION } from './version.ts';

/** After the probes have stopped, how long queued spans may take to reach the collector. */
const TRACE_FLUSH_MS = 3000;
/** Connections of the probe listener: the kubelet opens one per probe. */
const PROBE_MAX_CONNECTIONS = 16;

export interface AgentParts {
  readonly checks: CheckStore;
  readonly metrics: MetricStore;
  readonly runner: Runner;
}

/** Former config keys the file still uses: one WARN line each, logged once at start. */
export function logDeprecations(config: ResolvedConfig, logger: Logger): void {
  for (const d of config.deprecations) logger.warn({ event: 'config.deprecated', details: { key: d.path, replacement: d.replacement } }, d.message);
}

/** Builds stores, metrics and probes (no I/O yet). Shared by the daemon and `vigil check`. */
export function assemble(config: ResolvedConfig, kinds: readonly ProbeKind[], logger: Logger): AgentParts {
  const checks = new CheckStore();
  const metrics = new MetricStore();
  const core = registerCoreMetrics(metrics, checks);
  const byKey = new Map(kinds.map((k) => [k.key, k]));
  const probes = config.probes.map((settings) => {
    const kind = byKey.get(settings.kind);
    if (!kind) throw new Error(`no probe kind ${settings.kind}`);
    const probe = kind.create(settings, { logger: componentLogger(logger, `probe.${settings.kind}`), host: config.host });
    return { probe, settings };
  });
  const runner = new Runner(probes, { checks, metrics, core, logger });
  return { checks, metrics, runner };
}

export class Agent {
  readonly app: FastifyInstance;
  /** Only /health and /ready, on http.probe_port; null when not configured. */
  readonly probeApp: FastifyInstance | null;
  private readonly token: TokenFile | null;
  private readonly tlsFiles: readonly WatchedFile[];
  /** Token and TLS files together: read at start, watched while running, closed at the end. */
  private readonly watchedFiles: readonly WatchedFile[];
  readonly parts: AgentParts;
  private readonly config: ResolvedConfig;
  private readonly log: Logger;
  private readonly watch = new EventLoopWatch();
  private readonly runtime: RuntimeMetrics;
  private readonly env: NodeJS.ProcessEnv;
  private readonly tracingPlan: TracingPlan;
  private tracing: Tracing | undefined;
  private shuttingDown = false;
  private stopped: Promise<void> | undefined;

  constructor(config: ResolvedConfig, kinds: readonly ProbeKind[], logger: Logger, env: NodeJS.ProcessEnv = process.env) {
    this.config = config;
    this.log = logger;
    this.env = env;
    this.tracingPlan = tracingPlan(config.tracing, env);
    this.parts = assemble(config, kinds, logger);
    this.runtime = registerRuntimeMetrics(this.parts.metrics, this.watch);
    const http = config.http;
    const counters = HttpCounters.for(this.parts.metrics);
    this.token = http.auth ? new TokenFile('http.auth.token_file', http.auth.tokenFile, (file, err) => this.fileChanged(file, err)) : null;
    this.tlsFiles = http.tls
      ? [
          new WatchedFile('http.tls.cert_file', http.tls.certFile, (f, e) => this.fileChanged(f, e)),
          new WatchedFile('http.tls.key_file', http.tls.keyFile, (f, e) => this.fileChanged(f, e)),
        ]
      : [];
    this.watchedFiles = [...(this.token ? [this.token] : []), ...this.tlsFiles];
    const common = {
      checks: this.parts.checks,
      metrics: this.parts.metrics,
      service: config.service,
      identity: config.identity,
      logger,
      liveness: () => this.watch.report(),
      firstRoundDone: () => this.parts.runner.firstRoundDone,
      shuttingDown: () => this.shuttingDown,
      tracedRoutes: new Set(this.tracingPlan.enabled ? this.tracingPlan.httpRoutes : []),
    };
    const token = this.token;
    this.app = buildApp({
      ...common,
      maxConcurrentMetrics: http.maxConcurrentMetrics,
      healthDetails: http.healthDetails,
      ...(token ? { token: () => token.token(), metricsNeedToken: http.auth?.metrics ?? false } : {}),
      serverFactory: serverFactory({
        requestTimeoutMs: http.requestTimeoutMs,
        maxConnections: http.maxConnections,
        listener: 'main',
        counters,
        tls: http.tls !== null,
      }),
    });
    // Few connections are enough for the kubelet; a flood on the main port cannot take them.
    this.probeApp =
      http.probePort === null
        ? null
        : buildApp({
            ...common,
            routes: 'probes',
            serverFactory: serverFactory({ requestTimeoutMs: http.requestTimeoutMs, maxConnections: PROBE_MAX_CONNECTIONS, listener: 'probe', counters }),
          });
  }

  /** A token or certificate file changed: use it, or keep the previous content when unreadable. */
  private fileChanged(file: WatchedFile, err?: Error): void {
    if (err) {
      this.log.warn(
        { event: 'http.file_reload_failed', details: { key: file.key, path: file.path }, error: err },
        `${err.message}; keeping the previous content`,
      );
      return;
    }
    if (file instanceof TokenFile) {
      this.log.info({ event: 'http.token_reloaded', details: { path: file.path } }, `bearer token re-read from ${file.path}`);
      return;
    }
    try {
      this.applyTls();
      this.log.info({ event: 'http.tls_reloaded', details: { path: file.path } }, `TLS certificate and key re-read (${file.key} changed)`);
    } catch (e) {
      this.log.warn(
        { event: 'http.tls_reload_failed', details: { path: file.path }, error: e },
        `TLS files do not make a valid pair (${(e as Error).message}); keeping the previous ones`,
      );
    }
  }

  private applyTls(): void {
    const [cert, key] = this.tlsFiles;
    if (!cert || !key) return;
    (this.app.server as unknown as TlsServer).setSecureContext({ cert: cert.value, key: key.value });
  }

  /** Listens, then starts the probes. Resolves once listening; throws VigilError if it cannot. */
  async start(): Promise<string> {
    logDeprecations(this.config, this.log);
    const { host, port } = this.config.http;
    // Before the first probe run, so that it is traced too. Never fails the start: a tracing
    // problem is logged and tracing stays off.
    this.tracing = await startTracing(this.tracingPlan, {
      logger: this.log,
      metrics: this.parts.metrics,
      service: this.config.service,
      version: VERSION,
      identity: this.config.identity,
      env: this.env,
    });
    try {
      for (const file of this.watchedFiles) await file.start();
      this.applyTls();
    } catch (err) {
      throw new VigilError('LISTEN_FAILED', `cannot start the HTTP server: ${(err as Error).message}`);
    }
    let address: string;
    try {
      address = await this.app.listen({ host, port });
    } catch (err) {
      throw new VigilError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${(err as Error).message}`);
    }
    const probePort = this.config.http.probePort;
    if (this.probeApp && probePort !== null) {
      try {
        await this.probeApp.listen({ host, port: probePort });
      } catch (err) {
        await this.app.close();
        throw new VigilError('LISTEN_FAILED', `cannot listen on ${host}:${probePort} (http.probe_port): ${(err as Error).message}`);
      }
    }
    const probes = this.config.probes.map((p) => p.name);
    // What is bound (0.0.0.0:9477 by default), not the loopback URL fastify returns for it.
    const bound = boundAddress(this.app.server.address()) ?? address;
    this.log.info(
      {
        event: 'agent.started',
        details: {
          version: VERSION,
          address: bound,
          probe_port: probePort,
          tls: this.tlsFiles.length > 0,
          probes,
          config: this.config.source ?? '(defaults)',
          node: this.config.identity.nodeName,
        },
      },
      `vigil ${VERSION} listening on ${bound}, probes: ${probes.join(', ') || 'none'}`,
    );
    void this.parts.runner.start().then(() => {
      if (!this.shuttingDown) this.log.info({ event: 'agent.ready' }, 'first round of probes finished');
    });
    return address;
  }

  /**
   * Graceful stop: /ready answers 503 from this instant, the drain delay lets load balancers
   * notice, then the server and the probes close. Safe to call more than once.
   */
  shutdown(reason: string): Promise<void> {
    this.shuttingDown = true;
    this.stopped ??= (async () => {
      const drain = this.config.http.drainDelayMs;
      this.log.info({ event: 'agent.stopping', details: { reason, drain_delay_ms: drain } }, `${reason}: readiness off, draining for ${formatDuration(drain)}`);
      // Spans queued so far leave during the drain; only the last runs' wait for the end.
      this.tracing?.flush();
      await new Promise((resolve) => setTimeout(resolve, drain));
      await Promise.all([this.app.close(), this.probeApp?.close()]);
      for (const file of this.watchedFiles) file.close();
      await this.parts.runner.stop();
      // The last runs' spans are queued now; a collector that is down costs at most this wait.
      await this.tracing?.shutdown(TRACE_FLUSH_MS);
      this.watch.close();
      this.runtime.close();
      this.log.info({ event: 'agent.stopped' }, 'stopped');
    })();
    return this.stopped;
  }
}

/** http://address:port of a listening server, IPv6 in brackets. */
export function boundAddress(address: AddressInfo | string | null): string | undefined {
  if (address === null || typeof address === 'string') return undefined;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
