// Debian's prometheus-blackbox-exporter on a free loopback port with a config written here,
// for side-by-side runs with the http and tcp kinds (tests and bench). Stopped by PID.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/lib.ts';

export const BLACKBOX = 'prometheus-blackbox-exporter';

export interface Blackbox {
  readonly port: number;
  readonly pid: number;
  /** GET /probe?target=…&module=…: the exporter's Prometheus text. */
  probe(target: string, module: string): Promise<string>;
  stop(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Starts the exporter with `modules` (its config's `modules:` map, as JSON, which is YAML) in `dir`. */
export async function startBlackbox(t: Teardown | null, dir: string, modules: Record<string, unknown>): Promise<Blackbox> {
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, JSON.stringify({ modules }));
  const port = await freePort();
  const child = spawn(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const pid = child.pid as number;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(pid, 'SIGTERM');
    await exited;
  };
  t?.teardown(stop);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${BLACKBOX} exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/-/healthy`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${BLACKBOX} not ready on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
