// Host memory from /proc/meminfo and, when the cgroup has a limit, the container's working set.
import { DeclaredProbe, type ProbeSettings } from '../kind.ts';
import { emptyCollection, type Collection, type HostPaths, type Probe, type ProbeContext } from '../types.ts';
import type { MemoryOptions } from './config.ts';
import { readHostMemory, usedPercent } from './meminfo.ts';
import { readCgroupMemory } from './cgroup.ts';
import * as m from './metadata.ts';
import { failedObservation, judgePercent } from '../../checks/judge.ts';
import { formatBytes, reason } from '../../text.ts';

export class MemoryProbe extends DeclaredProbe<MemoryOptions> implements Probe {
  private readonly host: HostPaths;

  constructor(settings: ProbeSettings<MemoryOptions>, ctx: ProbeContext) {
    super(m.MEMORY, settings);
    this.host = ctx.host;
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    const out = emptyCollection();
    // Without meminfo there is nothing meaningful to report: let the whole run fail.
    const host = await readHostMemory(this.host.proc, signal);
    out.samples.push(
      { metric: m.memoryTotal, labels: {}, value: host.totalBytes },
      { metric: m.memoryAvailable, labels: {}, value: host.availableBytes },
      { metric: m.memoryFree, labels: {}, value: host.freeBytes },
      { metric: m.memoryBuffers, labels: {}, value: host.buffersBytes },
      { metric: m.memoryCached, labels: {}, value: host.cachedBytes },
      { metric: m.memorySwapTotal, labels: {}, value: host.swapTotalBytes },
      { metric: m.memorySwapFree, labels: {}, value: host.swapFreeBytes },
    );
    out.checks.push(
      judgePercent(
        m.memoryUtilization,
        'host',
        usedPercent(host),
        this.options.thresholds,
        'used',
        `${formatBytes(host.availableBytes)} available of ${formatBytes(host.totalBytes)}`,
      ),
    );

    try {
      const cgroup = await readCgroupMemory(this.host.sys, host.totalBytes, signal);
      if (cgroup) {
        out.samples.push(
          { metric: m.containerUsage, labels: {}, value: cgroup.usageBytes },
          { metric: m.containerWorkingSet, labels: {}, value: cgroup.workingSetBytes },
        );
        if (cgroup.limitBytes !== null) {
          out.samples.push({ metric: m.containerLimit, labels: {}, value: cgroup.limitBytes });
          out.checks.push(
            judgePercent(
              m.memoryContainerUtilization,
              'container',
              (cgroup.workingSetBytes / cgroup.limitBytes) * 100,
              this.options.containerThresholds,
              'of limit',
              `working set ${formatBytes(cgroup.workingSetBytes)} of ${formatBytes(cgroup.limitBytes)}`,
            ),
          );
        }
      }
    } catch (err) {
      signal.throwIfAborted();
      const message = `cgroup memory: ${reason(err)}`;
      out.errors.push({ componentId: 'container', message });
      out.checks.push(failedObservation(m.memoryContainerUtilization, 'container', message));
    }
    return out;
  }

  async stop(): Promise<void> {}
}
