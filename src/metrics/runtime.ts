// The agent's own process and runtime metrics, under the names Node.js dashboards expect.
// prom-client's collectDefaultMetrics is not used: it made /metrics five times more expensive
// (1.25 of 1.5 ms CPU per scrape, measured), waits a setImmediate per scrape for its lag
// gauge, and reads /proc/self synchronously on the event loop. These values come from
// process.cpuUsage()/memoryUsage() at scrape time, the event-loop figures the liveness check
// keeps anyway, and a file-descriptor count refreshed in the background.
import { readdir, readFile } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import type { EventLoopWatch } from './event-loop.ts';
import { counter, gauge, type MetricDecl, type MetricStore } from './family.ts';

const cpuUser = counter('process_cpu_user_seconds_total', 'User CPU time spent by the agent in seconds.');
const cpuSystem = counter('process_cpu_system_seconds_total', 'System CPU time spent by the agent in seconds.');
const cpuTotal = counter('process_cpu_seconds_total', 'Total user and system CPU time spent by the agent in seconds.');
const resident = gauge('process_resident_memory_bytes', 'Resident memory size of the agent in bytes.');
const startTime = gauge('process_start_time_seconds', 'Start time of the agent since the Unix epoch in seconds.');
const openFds = gauge('process_open_fds', 'Open file descriptors of the agent (refreshed every 10 s).');
const maxFds = gauge('process_max_fds', 'Maximum number of open file descriptors.');
const heapTotal = gauge('nodejs_heap_size_total_bytes', 'V8 heap size in bytes.');
const heapUsed = gauge('nodejs_heap_size_used_bytes', 'V8 heap used in bytes.');
const external = gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.');
const lagMean = gauge('nodejs_eventloop_lag_mean_seconds', 'Mean event-loop delay over the last 10 s window.');
const lagMax = gauge('nodejs_eventloop_lag_max_seconds', 'Maximum event-loop delay over the last 10 s window.');
const utilization = gauge('nodejs_eventloop_utilization_ratio', 'Share of the last 10 s window the event loop was busy.');

/** Every runtime metric, for the docs' Metrics table. */
export const RUNTIME_METRICS: readonly MetricDecl[] = [
  cpuUser,
  cpuSystem,
  cpuTotal,
  resident,
  startTime,
  openFds,
  maxFds,
  heapTotal,
  heapUsed,
  external,
  lagMean,
  lagMax,
  utilization,
];

const FD_REFRESH_MS = 10_000;

export interface RuntimeMetrics {
  close(): void;
}

export function registerRuntimeMetrics(metrics: MetricStore, watch: EventLoopWatch, procSelf = '/proc/self'): RuntimeMetrics {
  const none = {};
  // Each family reads its own value when rendered: a few microseconds, no file I/O.
  const live: [MetricDecl, () => number][] = [
    [cpuUser, () => process.cpuUsage().user / 1e6],
    [cpuSystem, () => process.cpuUsage().system / 1e6],
    [
      cpuTotal,
      () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      },
    ],
    [resident, () => process.memoryUsage.rss()],
    [heapTotal, () => getHeapStatistics().total_heap_size],
    [heapUsed, () => getHeapStatistics().used_heap_size],
    [external, () => getHeapStatistics().external_memory],
    [lagMean, () => watch.window().meanMs / 1000],
    [lagMax, () => watch.window().maxMs / 1000],
    [utilization, () => watch.window().utilization],
  ];
  for (const [decl, read] of live) metrics.register(decl, () => metrics.set(decl, none, read()));
  for (const decl of [startTime, openFds, maxFds]) metrics.register(decl);
  metrics.set(startTime, none, Math.round(Date.now() / 1000 - process.uptime()));

  const refreshFds = async () => {
    try {
      metrics.set(openFds, none, (await readdir(`${procSelf}/fd`)).length);
    } catch {
      // Not Linux, or /proc hidden: leave the series absent rather than wrong.
    }
  };
  void refreshFds();
  void readFile(`${procSelf}/limits`, 'utf8').then(
    (text) => {
      const soft = text.match(/^Max open files\s+(\d+)/m)?.[1];
      if (soft) metrics.set(maxFds, none, Number(soft));
    },
    () => {},
  );
  const timer = setInterval(() => void refreshFds(), FD_REFRESH_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
