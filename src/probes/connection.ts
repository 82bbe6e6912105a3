// One long-lived connection per target (PostgreSQL, Redis), opened on demand by collect():
// never a pool, never a connection per check. When the connection is lost the next collect
// reconnects; failed attempts back off exponentially, capped so that a server that comes back
// is seen within one probe interval. Between attempts collect fails fast, without I/O.
import { formatDuration } from '../config/duration.ts';
import { abortable } from '../deadline.ts';
import type { MetricDecl } from '../metrics/family.ts';
import { DeclaredProbe, type ProbeMetadata, type ProbeSettings } from './kind.ts';
import type { CheckDecl, Collection, Probe } from './types.ts';
import { readPasswordFile } from './secret-file.ts';
import { reason } from '../text.ts';

export interface Connector<C> {
  /** Opens and authenticates a connection; must give up after its own connect timeout. */
  open(): Promise<C>;
  /** Closes a connection (or one being lost); must not throw. */
  close(connection: C): Promise<void>;
  /** True for an error reply of the server (SQL error, `-ERR`): the connection is still usable. */
  isServerError(err: unknown): boolean;
}

export interface BackoffPolicy {
  /** Delay after the first failed attempt. */
  readonly initialMs: number;
  /** Upper bound; the probe interval, so a returning server is noticed within one interval. */
  readonly maxMs: number;
}

export class NotConnectedError extends Error {
  override name = 'NotConnectedError';
}

export class PersistentConnection<C> {
  private readonly connector: Connector<C>;
  private readonly backoff: BackoffPolicy;
  private readonly now: () => number;
  private current: C | null = null;
  /** An attempt still in progress (possibly outliving an aborted run): never start a second one. */
  private opening: Promise<C> | null = null;
  private failures = 0;
  private nextAttemptAt = 0;
  private lastError = '';
  private closed = false;

  constructor(connector: Connector<C>, backoff: BackoffPolicy, now: () => number = Date.now) {
    this.connector = connector;
    this.backoff = backoff;
    this.now = now;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.current !== null;
  }

  /** The open connection, or a new one when the backoff allows; throws NotConnectedError otherwise. */
  async get(signal: AbortSignal): Promise<C> {
    if (this.current) return this.current;
    if (this.closed) throw new NotConnectedError('connection closed');
    if (!this.opening) {
      const wait = this.nextAttemptAt - this.now();
      if (wait > 0) throw new NotConnectedError(`not connected: ${this.lastError} (next attempt in ${formatDuration(Math.ceil(wait / 100) * 100)})`);
      this.opening = this.attempt();
    }
    return abortable(this.opening, signal);
  }

  /**
   * Runs `work` on the connection (opened first when needed). A failure other than an error
   * reply (timeout, reset) leaves the connection in an unknown state: it is dropped, and the
   * next run reconnects.
   */
  async use<R>(signal: AbortSignal, work: (connection: C) => Promise<R>): Promise<R> {
    const connection = await this.get(signal);
    try {
      return await work(connection);
    } catch (err) {
      if (!this.connector.isServerError(err)) this.lose(connection, reason(err));
      throw err;
    }
  }

  /**
   * The driver said the connection is dead (socket closed, timeout): forget and close it, so the
   * next collect reconnects. Ignored for a connection that is not the current one.
   */
  lose(connection: C, why: string): void {
    if (this.current !== connection) return;
    this.current = null;
    this.lastError = why;
    void this.connector.close(connection);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.opening;
    const current = this.current;
    this.current = null;
    if (current) await this.connector.close(current);
    // An attempt still running closes what it opens, since `closed` is set: wait for it.
    if (pending) await pending.catch(() => undefined);
  }

  private async attempt(): Promise<C> {
    const startedAt = this.now();
    try {
      const connection = await this.connector.open();
      if (this.closed) {
        await this.connector.close(connection);
        throw new NotConnectedError('connection closed');
      }
      this.current = connection;
      this.failures = 0;
      this.nextAttemptAt = 0;
      return connection;
    } catch (err) {
      this.failures++;
      const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (this.failures - 1));
      // From the attempt's start, less a tenth: runs start one interval apart (give or take the
      // moment collect gets here), so a delay capped at the interval never skips a run.
      this.nextAttemptAt = startedAt + delay * 0.9;
      this.lastError = reason(err);
      throw err;
    } finally {
      this.opening = null;
    }
  }
}

/**
 * A password (config/secrets.ts fields): the `password_file` (a mounted Kubernetes secret, read
 * at every connect so a rotated secret is picked up), else the `password` field, else the URL's
 * own. `key` names the file's config key in a read error (`sasl.password_file` for Kafka).
 */
export async function resolvePassword(
  source: { readonly password?: string | undefined; readonly passwordFile?: string | undefined; readonly urlPassword?: string | undefined },
  key = 'password_file',
): Promise<string | undefined> {
  if (source.passwordFile !== undefined) return readPasswordFile(source.passwordFile, key);
  return source.password ?? source.urlPassword;
}

/** Options every connection-based target resolves to. */
export interface TargetOptions {
  readonly target: string;
  /** The URL with the password masked. */
  readonly display: string;
  readonly intervalMs: number;
}

/**
 * A probe of one server over one persistent connection: each run `measure`s over the
 * connection and `report`s what it measured. A run that cannot reach the server reports `up` 0
 * and the reachability check failing with the reason, prefixed by the redacted URL; the target's
 * other checks are left out until it answers again (one cause, one failing check).
 */
export abstract class ConnectedProbe<C, O extends TargetOptions, R> extends DeclaredProbe<O> implements Probe {
  /** Checks are reported under the target's name, failed runs included. */
  readonly componentId: string;
  private readonly connection: PersistentConnection<C>;
  private readonly up: MetricDecl;
  private readonly reachable: CheckDecl;

  constructor(
    metadata: ProbeMetadata,
    settings: ProbeSettings<O>,
    connector: (onLost: (connection: C, why: string) => void) => Connector<C>,
    up: MetricDecl,
    reachable: CheckDecl,
  ) {
    super(metadata, settings);
    this.componentId = settings.options.target;
    this.up = up;
    this.reachable = reachable;
    this.connection = new PersistentConnection(
      connector((connection, why) => this.connection.lose(connection, why)),
      { initialMs: 1000, maxMs: settings.options.intervalMs },
    );
  }

  protected abstract measure(connection: C): Promise<R>;
  protected abstract report(measured: R): Collection;

  async start(signal: AbortSignal): Promise<void> {
    // Connecting is collect's job: a server down at startup is a failed check, not a failed start.
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    let measured: R;
    try {
      measured = await this.connection.use(signal, (connection) => this.measure(connection));
    } catch (err) {
      signal.throwIfAborted();
      const { target, display } = this.options;
      return {
        samples: [{ metric: this.up, labels: { target }, value: 0 }],
        checks: [{ check: this.reachable, componentId: target, observedValue: null, status: 'fail', output: `${display}: ${reason(err)}` }],
        errors: [],
      };
    }
    return this.report(measured);
  }

  async stop(): Promise<void> {
    await this.connection.close();
  }
}
