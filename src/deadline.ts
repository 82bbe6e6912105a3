// Waiting on work that may never settle: the runner's probe runs, statfs on a dead NFS mount.
// The work itself goes on; callers that cannot cancel it must keep track of it.
import { formatDuration } from './config/duration.ts';

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    work.then(
      (value) => {
        settle();
        resolve(value);
      },
      (err) => {
        settle();
        reject(err);
      },
    );
  });
}

/**
 * Settles like `work`, or rejects with a TimeoutError after `ms`, or with the signal's reason
 * when it aborts. The timer is ref'd on purpose: `vigil check` has nothing else keeping the
 * process alive while it waits.
 */
export async function raceDeadline<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined, what: string): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new TimeoutError(`${what} timed out after ${formatDuration(ms)}`)), ms);
  try {
    return await abortable(work, signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** A call for this key is still pending from an earlier run: no new one was made. */
export class PendingError extends Error {
  override name = 'PendingError';
  /** When the call still in flight started. */
  readonly since: Date;
  constructor(message: string, since: Date) {
    super(message);
    this.since = since;
  }
}

/**
 * At most one call per key in flight, for work that cannot be cancelled (statfs, a directory
 * walk on a hung mount): a call holds a libuv thread until the filesystem answers, so calling
 * again on each run would exhaust the pool.
 */
export class OneCallPerKey {
  private readonly inFlight = new Map<string, Date>();

  /** Rejects with PendingError (no new call), TimeoutError, the work's error, or the signal's reason. */
  run<T>(key: string, work: () => Promise<T>, timeoutMs: number, signal: AbortSignal, what: string): Promise<T> {
    signal.throwIfAborted();
    const since = this.inFlight.get(key);
    if (since) return Promise.reject(new PendingError(`${what} still pending since ${since.toISOString()}`, since));
    this.inFlight.set(key, new Date());
    let call: Promise<T>;
    try {
      call = work();
    } catch (err) {
      call = Promise.reject(err);
    }
    const forget = () => this.inFlight.delete(key);
    call.then(forget, forget);
    return raceDeadline(call, timeoutMs, signal, what);
  }
}
