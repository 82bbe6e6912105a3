// Consumer status per partition and per group over a sliding window of probe runs, after
// Burrow's evaluation rules (github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules).
//
// For each partition the window holds the last `size` samples of (time, committed offset, lag).
// Rules, first match wins:
//   1. REWIND  the committed offset went backwards between two samples (a reset, a replay).
//   2. OK      fewer than `size` samples yet (Burrow also waits for a full window), or the lag
//              was zero at least once in the window.
//   3. STALL   the committed offset did not move over the window, the lag is > 0, and a live
//              member owns the partition: the consumer runs but makes no progress.
//      STOP    same, but no member owns the partition (group Empty, or partition unassigned):
//              no commits for longer than the window.
//   4. WARN    the offset moved but the lag never decreased between two samples: the consumer
//              falls behind (or just keeps up with a constant backlog).
//   5. OK      otherwise.
// Burrow tells STALL from STOP by commit timestamps read from __consumer_offsets; the admin API
// does not expose them, so Vigil uses group membership, which says the same thing: a consumer
// that is alive but stuck, or no consumer at all. Membership comes from DescribeGroups for
// classic groups and from ConsumerGroupDescribe (the members' current assignment) for KIP-848 ones.
// The group's status is its worst partition's. ERR: the group's offsets could not be read.

export type ConsumerStatus = 'OK' | 'WARN' | 'REWIND' | 'STALL' | 'STOP' | 'ERR';

/** Value of vigil_kafka_consumergroup_status. */
export const STATUS_CODE: Readonly<Record<ConsumerStatus, number>> = { OK: 0, WARN: 1, REWIND: 2, STALL: 3, STOP: 4, ERR: 5 };

export interface WindowSample {
  readonly at: number;
  readonly committed: number;
  readonly lag: number;
}

export interface Evaluation {
  readonly status: ConsumerStatus;
  /** Why, for the check output: `offset 120 not moving for 30s, lag 40`. */
  readonly reason: string;
}

/** The last `size` samples of one partition. */
export class StatusWindow {
  private readonly samples: WindowSample[] = [];
  private readonly size: number;

  constructor(size: number) {
    this.size = Math.max(2, size);
  }

  add(sample: WindowSample): void {
    this.samples.push(sample);
    if (this.samples.length > this.size) this.samples.shift();
  }

  evaluate(owned: boolean): Evaluation {
    return evaluatePartition(this.samples, this.size, owned);
  }
}

export function evaluatePartition(window: readonly WindowSample[], size: number, owned: boolean): Evaluation {
  for (let i = 1; i < window.length; i++) {
    const [before, after] = [window[i - 1] as WindowSample, window[i] as WindowSample];
    if (after.committed < before.committed) return { status: 'REWIND', reason: `offset went back from ${before.committed} to ${after.committed}` };
  }
  const first = window[0];
  const last = window[window.length - 1];
  if (!first || !last || window.length < size) return { status: 'OK', reason: `evaluating (${window.length} of ${size} samples)` };
  if (window.some((s) => s.lag === 0)) return { status: 'OK', reason: 'caught up within the window' };
  const span = `${Math.round((last.at - first.at) / 1000)}s`;
  if (first.committed === last.committed) {
    return owned
      ? { status: 'STALL', reason: `offset ${last.committed} not moving for ${span} with lag ${last.lag}, consumer alive` }
      : { status: 'STOP', reason: `no commits for ${span} with lag ${last.lag}, no consumer` };
  }
  let growing = true;
  for (let i = 1; i < window.length; i++) if ((window[i] as WindowSample).lag < (window[i - 1] as WindowSample).lag) growing = false;
  if (growing) return { status: 'WARN', reason: `lag not shrinking over ${span}: ${first.lag} → ${last.lag}` };
  return { status: 'OK', reason: 'consuming' };
}
