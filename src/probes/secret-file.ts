// Secrets and certificates named in the config are read when a connection is made, never while
// validating: a rotated Kubernetes secret is picked up, and `vigil config check` needs no mounts.
import { readFile } from 'node:fs/promises';
import { reason } from '../text.ts';

/** The file's text; the error names the config key and the path, never the content. */
export async function readSecretFile(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${key} ${path}: ${code === 'ENOENT' ? 'no such file' : reason(err)}`, { cause: err });
  }
}

/** A password file's secret: a trailing newline is an artefact of how it was written, not part of it. */
export async function readPasswordFile(path: string, key: string): Promise<string> {
  return (await readSecretFile(path, key)).replace(/\r?\n$/, '');
}
