// Debian's prometheus-blackbox-exporter on a free loopback port with a config written here,
// for side-by-side runs with the http and tcp kinds (tests and bench). Stopped by PID.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/lib.ts';
import { startProcess, type Teardown } from './process.ts';

export const BLACKBOX = 'prometheus-blackbox-exporter';

export interface Blackbox {
  readonly port: number;
  readonly pid: number;
  /** GET /probe?target=…&module=…: the exporter's Prometheus text. */
  probe(target: string, module: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the exporter with `modules` (its config's `modules:` map, as JSON, which is YAML) in `dir`. */
export async function startBlackbox(t: Teardown | null, dir: string, modules: Record<string, unknown>): Promise<Blackbox> {
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, JSON.stringify({ modules }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const healthy = () =>
    fetch(`${base}/-/healthy`).then(
      (res) => res.ok,
      () => false, // not listening yet
    );
  const { pid, stop } = await startProcess(
    t,
    BLACKBOX,
    BLACKBOX,
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    healthy,
  );
  return {
    port,
    pid,
    async probe(target, module) {
      const res = await fetch(`${base}/probe?${new URLSearchParams({ target, module })}`);
      return res.text();
    },
    stop,
  };
}
