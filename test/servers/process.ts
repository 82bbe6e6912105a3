// A server process a test starts: spawned, waited for until `ready()` says so (its stderr in
// the error when it exits or never gets ready), stopped by PID with SIGTERM at teardown.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface ServerProcess {
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startProcess(
  t: Teardown | null,
  name: string,
  command: string,
  args: readonly string[],
  ready: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const pid = child.pid as number;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(pid, 'SIGTERM');
    await exited;
  };
  t?.teardown(stop);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
    if (await ready()) break;
    if (Date.now() > deadline) throw new Error(`${name} not ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid, stop };
}
