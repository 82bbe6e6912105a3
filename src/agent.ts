// Wires the configured probes, the runner, the stores and the HTTP app; owns the lifecycle.
// It never exits the process: main decides that from what start()/shutdown() return or throw.
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { CheckStore } from './checks/store.ts';
import type { ResolvedConfig } from './config/load.ts';
import { formatDuration } from './config/duration.ts';
import { VigilError } from './errors.ts';
import { buildApp } from './http/app.ts';
import { EventLoopWatch } from './http/liveness.ts';
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

export interface AgentParts {
  readonly checks: CheckStore;
  readonly metrics: MetricStore;
  readonly runner: Runner;
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
    this.app = buildApp({
      checks: this.parts.checks,
      metrics: this.parts.metrics,
      service: config.service,
      identity: config.identity,
      logger,
      liveness: () => this.watch.report(),
      firstRoundDone: () => this.parts.runner.firstRoundDone,
      shuttingDown: () => this.shuttingDown,
      tracedRoutes: new Set(this.tracingPlan.enabled ? this.tracingPlan.httpRoutes : []),
    });
  }

  /** Listens, then starts the probes. Resolves once listening; throws VigilError if it cannot. */
  async start(): Promise<string> {
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
    let address: string;
    try {
      address = await this.app.listen({ host, port });
    } catch (err) {
      throw new VigilError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${(err as Error).message}`);
    }
    const probes = this.config.probes.map((p) => p.name);
    // What is bound (0.0.0.0:9477 by default), not the loopback URL fastify returns for it.
    const bound = boundAddress(this.app.server.address()) ?? address;
    this.log.info(
      { event: 'agent.started', details: { version: VERSION, address: bound, probes, config: this.config.source ?? '(defaults)', node: this.config.identity.nodeName } },
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
      await this.app.close();
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
