// Space, inodes and read-only state of every real mount.
import { join } from 'node:path';
import type { Logger } from '../../log/logger.ts';
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { emptyCollection, type CheckObservation, type Collection, type HostPaths, type Probe, type ProbeContext } from '../types.ts';
import { PendingError, TimeoutError } from '../../deadline.ts';
import type { DiskOptions } from './config.ts';
import { readMounts, selectMounts, type Mount } from './mounts.ts';
import { inodesUsedPercent, nodeStatFs, StatFsTracker, usageOf, usedPercent, type FsUsage, type StatFs } from './statfs.ts';
import * as m from './metadata.ts';
import { failedObservation, judge, judgePercent } from '../../checks/judge.ts';
import { formatBytes, reason, round2 } from '../../text.ts';
import { formatDuration } from '../../config/duration.ts';
import { AvailHistory, fillTrend, type FillTrend } from './trend.ts';

export interface DiskProbeDeps {
  /** Injected by tests to simulate hung or failing mounts. */
  readonly statfs?: StatFs;
}

/** `at`: when statfs answered, so a slow mount does not skew the others' time-to-full. */
type Measured = { readonly mount: Mount; readonly usage: FsUsage; readonly at: number } | { readonly mount: Mount; readonly error: string };

export class DiskProbe extends DeclaredProbe<DiskOptions> implements Probe {
  private readonly host: HostPaths;
  private readonly logger: Logger;
  private readonly statfs: StatFsTracker;
  /** Read-only flag of each mount point when first seen: tells a remount-ro from a ro mount. */
  private readonly firstSeenReadOnly = new Map<string, boolean>();
  private mountSource: string | undefined;
  private readonly history: AvailHistory;

  constructor(settings: ProbeSettings<DiskOptions>, ctx: ProbeContext, deps: DiskProbeDeps = {}) {
    super(m.DISK, settings);
    this.host = ctx.host;
    this.logger = ctx.logger;
    this.statfs = new StatFsTracker(deps.statfs ?? nodeStatFs);
    this.history = new AvailHistory(this.options.timeToFull.windowMs);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const { mounts, source } = await readMounts(this.host.proc, signal);
    if (source !== this.mountSource) {
      this.logger.debug({ event: 'disk.mount_table', details: { path: source } }, `reading mounts from ${source}`);
      this.mountSource = source;
    }
    const selected = selectMounts(mounts, this.options);
    const measured = await Promise.all(selected.map((mount) => this.measure(mount, signal)));
    const out = emptyCollection();
    for (const result of measured) this.report(result, out);
    this.history.keepOnly(new Set(selected.map((mount) => mount.mountPoint)));
    return out;
  }

  async stop(): Promise<void> {
    // A pending statfs cannot be cancelled; it settles on its own and is then forgotten.
  }

  private async measure(mount: Mount, signal: AbortSignal): Promise<Measured> {
    try {
      const stats = await this.statfs.stat(join(this.host.rootfs, mount.mountPoint), this.options.statfsTimeoutMs, signal);
      return { mount, usage: usageOf(stats), at: Date.now() };
    } catch (err) {
      signal.throwIfAborted();
      const explained = err instanceof TimeoutError || err instanceof PendingError;
      return { mount, error: explained ? reason(err) : `statfs failed: ${reason(err)}` };
    }
  }

  private report(result: Measured, out: Collection): void {
    const { mount } = result;
    const id = mount.mountPoint;
    const labels = { device: mount.device, fstype: mount.fsType, mountpoint: id };
    out.samples.push({ metric: m.filesystemReadonly, labels, value: mount.readOnly ? 1 : 0 });
    out.samples.push({ metric: m.filesystemDeviceError, labels, value: 'error' in result ? 1 : 0 });

    if (!this.firstSeenReadOnly.has(id)) this.firstSeenReadOnly.set(id, mount.readOnly);
    const remountedReadOnly = mount.readOnly && this.firstSeenReadOnly.get(id) === false;
    out.checks.push(
      remountedReadOnly
        ? { check: m.diskWritable, componentId: id, observedValue: false, status: 'fail', output: 'remounted read-only' }
        : { check: m.diskWritable, componentId: id, observedValue: !mount.readOnly, status: 'pass', output: mount.readOnly ? 'read-only' : 'read-write' },
    );

    if ('error' in result) {
      out.errors.push({ componentId: id, message: result.error });
      out.checks.push(failedObservation(m.diskUtilization, id, result.error));
      return;
    }

    const u = result.usage;
    out.samples.push(
      { metric: m.filesystemSize, labels, value: u.sizeBytes },
      { metric: m.filesystemAvail, labels, value: u.availBytes },
      { metric: m.filesystemFree, labels, value: u.freeBytes },
      { metric: m.filesystemFiles, labels, value: u.files },
      { metric: m.filesystemFilesFree, labels, value: u.filesFree },
    );

    // A filesystem read-only from the start (an image, a config map) cannot fill up; alert rules
    // conventionally exclude them too. One remounted read-only (errors=remount-ro on a full or
    // failing disk) is still as full as before: keep judging its space; disk:writable says it.
    const notJudged = mount.readOnly && !remountedReadOnly;
    const used = usedPercent(u);
    if (used !== null) {
      out.checks.push(
        notJudged
          ? { check: m.diskUtilization, componentId: id, observedValue: round2(used), status: 'pass', output: 'read-only, not evaluated' }
          : judgePercent(m.diskUtilization, id, used, this.options.thresholds, 'used', `${formatBytes(u.availBytes)} free of ${formatBytes(u.sizeBytes)}`),
      );
    }
    const inodes = inodesUsedPercent(u);
    if (inodes !== null) {
      out.checks.push(
        notJudged
          ? { check: m.diskInodes, componentId: id, observedValue: round2(inodes), status: 'pass', output: 'read-only, not evaluated' }
          : judgePercent(m.diskInodes, id, inodes, this.options.inodeThresholds, 'of inodes used', `${u.filesFree} of ${u.files} free`),
      );
    }
    if (notJudged) {
      out.checks.push({ check: m.diskTimeToFull, componentId: id, observedValue: null, status: 'pass', output: 'read-only, not evaluated' });
      return;
    }
    const trend = fillTrend(this.history.add(id, u.sizeBytes, { at: result.at, availBytes: u.availBytes }), this.options.timeToFull);
    if (trend.kind === 'filling') out.samples.push({ metric: m.filesystemTimeToFull, labels, value: Math.round(trend.seconds) });
    out.checks.push(this.judgeTrend(id, trend));
  }

  private judgeTrend(id: string, trend: FillTrend): CheckObservation {
    const ttf = this.options.timeToFull;
    switch (trend.kind) {
      case 'too_few':
        return {
          check: m.diskTimeToFull,
          componentId: id,
          observedValue: null,
          status: 'pass',
          output: `no estimate yet: ${trend.samples} of ${ttf.minSamples} samples over ${formatDuration(ttf.windowMs)}`,
        };
      case 'not_filling':
        return { check: m.diskTimeToFull, componentId: id, observedValue: null, status: 'pass', output: `not filling up over ${formatDuration(ttf.windowMs)}` };
      case 'unsteady':
        return {
          check: m.diskTimeToFull,
          componentId: id,
          observedValue: null,
          status: 'pass',
          output: `no steady trend: R² ${round2(trend.r2)} < ${ttf.minR2} over ${trend.samples} samples (${formatBytes(-trend.bytesPerSecond)}/s on average)`,
        };
      case 'filling': {
        const seconds = Math.round(trend.seconds);
        return judge(
          m.diskTimeToFull,
          id,
          seconds,
          ttf.thresholds,
          `full in ${formatDuration(seconds * 1000)}`,
          ` at ${formatBytes(-trend.bytesPerSecond)}/s (R² ${round2(trend.r2)}, ${trend.samples} samples)`,
          's',
        );
      }
    }
  }
}
