// Per rule: scan its glob under the host root, then judge the newest file's age and size and
// the number of files kept.
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { emptyCollection, type CheckObservation, type Collection, type Probe, type ProbeContext } from '../types.ts';
import { OneCallPerKey, PendingError, TimeoutError } from '../../deadline.ts';
import { formatDuration } from '../../config/duration.ts';
import { failedObservation } from '../../checks/judge.ts';
import { formatBytes, reason } from '../../text.ts';
import type { BackupRule, BackupsOptions } from './config.ts';
import { scan, type BackupFile, type Scan } from './scan.ts';
import * as m from './metadata.ts';

export interface BackupsProbeDeps {
  /** Injected by tests to simulate a hung filesystem. */
  readonly scan?: typeof scan;
}

type Scanned = { readonly rule: BackupRule; readonly scan: Scan } | { readonly rule: BackupRule; readonly error: string };

export class BackupsProbe extends DeclaredProbe<BackupsOptions> implements Probe {
  private readonly root: string;
  /** A scan on a hung mount cannot be cancelled: one per rule at a time, as the disk probe's statfs. */
  private readonly scans = new OneCallPerKey();
  private readonly scanFiles: typeof scan;

  constructor(settings: ProbeSettings<BackupsOptions>, ctx: ProbeContext, deps: BackupsProbeDeps = {}) {
    super(m.BACKUPS, settings);
    this.root = ctx.host.rootfs;
    this.scanFiles = deps.scan ?? scan;
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const scanned = await Promise.all(this.options.rules.map((rule) => this.scan(rule, signal)));
    const now = Date.now();
    const out = emptyCollection();
    for (const result of scanned) this.report(result, now, out);
    return out;
  }

  async stop(): Promise<void> {
    // A pending scan settles on its own and is then forgotten.
  }

  private async scan(rule: BackupRule, signal: AbortSignal): Promise<Scanned> {
    try {
      return { rule, scan: await this.scans.run(rule.name, () => this.scanFiles(this.root, rule.path), this.options.scanTimeoutMs, signal, 'scan') };
    } catch (err) {
      signal.throwIfAborted();
      const explained = err instanceof TimeoutError || err instanceof PendingError;
      return { rule, error: explained ? `${rule.path}: ${reason(err)}` : `scan failed: ${reason(err)}` };
    }
  }

  private report(result: Scanned, now: number, out: Collection): void {
    const { rule } = result;
    const labels = { rule: rule.name };
    out.samples.push({ metric: m.backupMaxAge, labels, value: rule.maxAgeMs / 1000 }, { metric: m.backupMinSize, labels, value: rule.minSizeBytes });
    if (rule.minCount !== null) out.samples.push({ metric: m.backupMinFiles, labels, value: rule.minCount });
    if ('error' in result) {
      out.errors.push({ componentId: rule.name, message: result.error });
      out.checks.push(failedObservation(m.backupFreshness, rule.name, result.error));
      return;
    }
    const { files, refused } = result.scan;
    for (const path of refused) out.errors.push({ componentId: rule.name, message: `${path}: symlink leaves the host root (${this.root}), not followed` });
    out.samples.push({ metric: m.backupFiles, labels, value: files.length });
    const newest = files.reduce<BackupFile | undefined>((a, b) => (a === undefined || b.mtimeMs > a.mtimeMs ? b : a), undefined);
    if (!newest) {
      const why = refused.length ? `, ${refused.length} symlink(s) leaving the host root refused` : '';
      out.checks.push(failedObservation(m.backupFreshness, rule.name, `no file matches ${rule.path}${why}`));
      return;
    }
    const ageSeconds = Math.max(0, Math.round((now - newest.mtimeMs) / 1000));
    out.samples.push(
      { metric: m.backupNewestAge, labels, value: ageSeconds },
      { metric: m.backupNewestMtime, labels, value: newest.mtimeMs / 1000 },
      { metric: m.backupNewestSize, labels, value: newest.sizeBytes },
    );
    out.checks.push(this.judge(rule, newest, ageSeconds, files.length));
  }

  private judge(rule: BackupRule, newest: BackupFile, ageSeconds: number, count: number): CheckObservation {
    const failed: string[] = [];
    if (ageSeconds * 1000 > rule.maxAgeMs) failed.push(`older than max_age ${formatDuration(rule.maxAgeMs)}`);
    if (newest.sizeBytes < rule.minSizeBytes) failed.push(`smaller than min_size ${formatBytes(rule.minSizeBytes)}`);
    const short = rule.minCount !== null && count < rule.minCount;
    const kept = `${count} file${count === 1 ? '' : 's'} kept${short ? ` (warn < min_count ${rule.minCount})` : ''}`;
    const output = `newest ${newest.path}: ${formatDuration(ageSeconds * 1000)} old, ${formatBytes(newest.sizeBytes)}${failed.length ? ` (fail: ${failed.join(', ')})` : ''}; ${kept}`;
    const base = { check: m.backupFreshness, componentId: rule.name, observedValue: ageSeconds, output };
    if (failed.length) return { ...base, status: 'fail' };
    if (short) return { ...base, status: 'warn', severity: 'SEV3' };
    return { ...base, status: 'pass' };
  }
}
