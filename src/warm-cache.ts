// `vigil warm-cache`: imports every module of the agent once, so Node's compile cache
// (NODE_COMPILE_CACHE, set by bin/vigil) holds them all. Probe kinds load their code when a
// first instance starts and the config process loads the validator: a cache warmed by a plain
// start would miss them, and each miss loads Node's TypeScript stripper (≈ 20 MiB RSS) into an
// agent whose image keeps the cache read-only. The image build runs it.
import { readdir } from 'node:fs/promises';
import { flushCompileCache, getCompileCacheDir } from 'node:module';
import { fileURLToPath } from 'node:url';

const SRC = new URL('.', import.meta.url);
/** Entry points that act when imported. */
const SKIP = new Set(['main.ts']);

/** Imports every .ts module under src/ and writes the cache; returns how many were imported. */
export async function warmCompileCache(): Promise<{ modules: number; dir: string | undefined }> {
  const files = (await readdir(fileURLToPath(SRC), { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !SKIP.has(f)).sort();
  for (const file of files) await import(new URL(file, SRC).href);
  flushCompileCache();
  return { modules: files.length, dir: getCompileCacheDir() };
}
