// Expiry of every configured certificate file: one `tls:expiry` component per certificate
// (`<path>`, or `<path>#<n>` when a file holds several), files re-read at every run.
import { failedObservation } from '../../checks/judge.ts';
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { emptyCollection, type Collection, type Probe, type ProbeContext } from '../types.ts';
import type { CertificatesOptions } from './config.ts';
import { MAX_CERTIFICATES, MAX_FILES } from './metadata.ts';
import { CertificateFiles, type EntryRead } from './files.ts';
import { certificateReport } from './inspect.ts';
import { CERTIFICATES, tlsExpiry } from './metadata.ts';
import { reportCertificates } from './observe.ts';

export class CertificatesProbe extends DeclaredProbe<CertificatesOptions> implements Probe {
  private readonly files: CertificateFiles;

  constructor(settings: ProbeSettings<CertificatesOptions>, ctx: ProbeContext) {
    super(CERTIFICATES, settings);
    this.files = new CertificateFiles(ctx.host.rootfs, settings.options.readTimeoutMs);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const reads = await Promise.all(this.options.files.map((entry) => this.files.read(entry, signal)));
    const out = emptyCollection();
    const now = new Date();
    let budget = MAX_CERTIFICATES;
    for (const read of reads) budget = this.report(read, now, budget, out);
    return out;
  }

  async stop(): Promise<void> {
    // A read stuck on a hung filesystem cannot be cancelled; it settles on its own.
  }

  /** Reports one entry; returns the certificates still allowed this run. */
  private report(read: EntryRead, now: Date, budget: number, out: Collection): number {
    // The output names the path (a reason such as `neither a PEM nor a DER certificate` does
    // not); the partial error does not, the runner's log line puts the component first.
    const fail = (componentId: string, why: string) => {
      out.errors.push({ componentId, message: why });
      out.checks.push(failedObservation(tlsExpiry, componentId, `${componentId}: ${why}`));
    };
    if (read.error !== undefined) {
      fail(read.entry, read.error);
      return budget;
    }
    if (read.omitted > 0) fail(read.entry, `${read.omitted} more files not read (at most ${MAX_FILES} an entry)`);
    for (const file of read.files) {
      if ('error' in file) {
        fail(file.path, file.error);
        continue;
      }
      const several = file.certificates.length > 1;
      for (const [i, certificate] of file.certificates.entries()) {
        const componentId = several ? `${file.path}#${i + 1}` : file.path;
        if (budget <= 0) {
          fail(componentId, `not read, over the limit of ${MAX_CERTIFICATES} certificates a run`);
          return 0;
        }
        budget--;
        reportCertificates(out, { source: file.path, componentId, report: certificateReport([certificate], now), thresholds: this.options.thresholds });
      }
    }
    return budget;
  }
}
