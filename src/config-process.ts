// The agent's config is validated in a short-lived child process. Validation needs yaml, zod
// and every kind's schema; ES modules cannot be unloaded, so loaded in the agent they would stay
// for its whole life (≈ 7 MiB of heap). A worker thread took them away but not what it had
// malloc'd: glibc kept ≈ 5 MiB of its freed memory resident in the arena the thread used, for
// the agent's life (zero-config RSS 80.7 → 75.3 MiB as a process, `npm run bench footprint`;
// ≈ 30 ms more to start). The child sends the resolved config back as structured-clone data
// (plain objects, arrays, RegExps) and exits, and every page it used goes with it.
//
// This file is both sides: loadConfigInChild() in the agent, the child's body when run as one.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ResolvedConfig } from './config/load.ts';
import { VigilError, type ErrorCode } from './errors.ts';

interface Request {
  readonly path: string | undefined;
  readonly env: Record<string, string | undefined>;
}

type Reply =
  | { readonly ok: true; readonly config: ResolvedConfig }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly problems: readonly string[] };

/** The child's first argument: what makes this module answer instead of ask. */
export const CONFIG_CHILD_ARG = '--vigil-config-child';
/** Validation reads one regular file (≤ 1 MiB) and no network: a backstop for a hung filesystem. */
const ANSWER_TIMEOUT_MS = 60_000;
/** Of the child's stderr, kept for the message of a child that died without answering. */
const STDERR_KEPT = 8 * 1024;

/** loadConfig() of src/config/load.ts with every probe kind of the registry, in a child process. */
export function loadConfigInChild(path: string | undefined, env: NodeJS.ProcessEnv): Promise<ResolvedConfig> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CONFIG_CHILD_ARG], {
      // Same runtime flags (V8 limits, compile cache via the environment), no debugger port clash.
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let reply: Reply | undefined;
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ANSWER_TIMEOUT_MS);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(0, STDERR_KEPT);
    });
    child.once('message', (message: Reply) => {
      reply = message;
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new VigilError('INTERNAL', `cannot start the config process: ${err.message}`));
    });
    // Settle on exit, not on the message: the child is gone before the agent starts.
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (reply?.ok) resolve(deepFreeze(reply.config));
      else if (reply) reject(new VigilError(reply.code, reply.message, reply.problems));
      else if (timedOut) reject(new VigilError('INTERNAL', `the config process gave no answer in ${ANSWER_TIMEOUT_MS / 1000} s`));
      else reject(new Error(`the config process exited with ${signal ?? `code ${code}`} and no answer${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    const request: Request = { path, env: { ...env } };
    child.send(request);
  });
}

/** Freezes plain objects and arrays, as the loader does (RegExps stay as they are). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof RegExp) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

async function answer(request: Request): Promise<Reply> {
  const [{ loadConfig }, { PROBE_SECTIONS }] = await Promise.all([import('./config/load.ts'), import('./probes/sections.ts')]);
  try {
    return { ok: true, config: await loadConfig({ path: request.path, env: request.env, kinds: PROBE_SECTIONS }) };
  } catch (err) {
    if (err instanceof VigilError) return { ok: false, code: err.code, message: err.message, problems: [...err.problems] };
    throw err;
  }
}

if (process.argv[2] === CONFIG_CHILD_ARG && process.send) {
  const send = process.send.bind(process);
  // An unexpected error ends the child with its stack on stderr: the agent reports an internal
  // error with it. Disconnecting lets the child exit once its answer is written.
  process.once('message', async (request: Request) => {
    send(await answer(request), () => process.disconnect());
  });
}
