// The agent's config is validated in a worker thread that exits once it is done. Validation
// needs yaml, zod and every kind's schema; ES modules cannot be unloaded, so loaded in the
// agent's own thread they would stay for its whole life (≈ 7 MiB of heap, measured by
// `npm run bench footprint`). The worker loads them, sends the resolved config back as
// structured-clone data (plain objects, arrays, RegExps) and exits, taking them with it.
//
// This file is both sides: loadConfigInWorker() in the agent, the worker body when run as one.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ResolvedConfig } from './config/load.ts';
import { VigilError, type ErrorCode } from './errors.ts';

interface Request {
  readonly vigilConfigWorker: true;
  readonly path: string | undefined;
  readonly env: Record<string, string | undefined>;
}

type Reply =
  | { readonly ok: true; readonly config: ResolvedConfig }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly problems: readonly string[] };

/** loadConfig() of src/config/load.ts with every probe kind of the registry, in a worker thread. */
export function loadConfigInWorker(path: string | undefined, env: NodeJS.ProcessEnv): Promise<ResolvedConfig> {
  return new Promise((resolve, reject) => {
    const request: Request = { vigilConfigWorker: true, path, env: { ...env } };
    const worker = new Worker(new URL(import.meta.url), { workerData: request, stdout: false, stderr: false });
    let reply: Reply | undefined;
    let failure: unknown;
    worker.once('message', (message: Reply) => {
      reply = message;
    });
    worker.once('error', (err) => {
      failure = err;
    });
    // Settle on exit, not on the message: the worker's heap is gone before the agent starts.
    worker.once('exit', (code) => {
      if (reply?.ok) resolve(deepFreeze(reply.config));
      else if (reply) reject(new VigilError(reply.code, reply.message, reply.problems));
      else reject(failure ?? new Error(`config worker exited with code ${code} and no answer`));
    });
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

if (!isMainThread && (workerData as Partial<Request> | null)?.vigilConfigWorker === true) {
  // An unexpected error rejects the worker ('error' above), stack and all: an internal error.
  parentPort?.postMessage(await answer(workerData as Request));
}
