// Certificate files as configured: a file, a directory (a mounted Kubernetes secret) or a glob,
// listed and read again at every run so a renewed secret is seen. Reads go through libuv's
// thread pool; a hung network filesystem holds a thread until it answers, so each entry has a
// deadline and at most one listing/reading in flight.
import type { X509Certificate } from 'node:crypto';
import { glob, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OneCallPerKey, PendingError } from '../../deadline.ts';
import { reason } from '../../text.ts';
import { MAX_FILE_BYTES, MAX_FILES } from './metadata.ts';
import { parseCertificates } from './inspect.ts';

/** What a directory entry is taken for: `tls.crt`, `ca.crt`, `chain.pem`; not `tls.key`. */
const CERTIFICATE_FILE = /\.(crt|pem|cer|der)$/i;
const GLOB = /[*?[{]/;

/** One file: its certificates, or why there are none. Paths are the host's (without host.rootfs). */
export type FileRead = { readonly path: string; readonly certificates: readonly X509Certificate[] } | { readonly path: string; readonly error: string };

export interface EntryRead {
  readonly entry: string;
  readonly files: readonly FileRead[];
  /** The entry itself could not be listed (missing, no match, hung). */
  readonly error?: string;
  /** Files beyond MAX_FILES, not read. */
  readonly omitted: number;
}

const isFile = async (path: string) => (await stat(path)).isFile();

/** The files an entry names now, sorted, as host paths. */
async function listEntry(entry: string, rootfs: string, signal: AbortSignal): Promise<string[]> {
  if (GLOB.test(entry)) {
    const matches: string[] = [];
    for await (const match of glob(entry.replace(/^\/+/, ''), { cwd: rootfs })) {
      signal.throwIfAborted();
      const path = `/${match}`;
      if (await isFile(join(rootfs, path))) matches.push(path);
    }
    if (matches.length === 0) throw new Error('no file matches');
    return matches.sort();
  }
  const info = await stat(join(rootfs, entry));
  if (!info.isDirectory()) return [entry];
  const names = (await readdir(join(rootfs, entry))).filter((name) => !name.startsWith('.') && CERTIFICATE_FILE.test(name)).sort();
  const files: string[] = [];
  // Secret volumes link tls.crt to ..data/tls.crt: stat follows the link.
  for (const name of names) if (await isFile(join(rootfs, entry, name))) files.push(join(entry, name));
  if (files.length === 0) throw new Error('directory holds no *.crt, *.pem, *.cer or *.der file');
  return files;
}

async function readCertificates(path: string, rootfs: string, signal: AbortSignal): Promise<FileRead> {
  try {
    const full = join(rootfs, path);
    const { size } = await stat(full);
    if (size > MAX_FILE_BYTES) return { path, error: `${size} bytes, larger than the ${MAX_FILE_BYTES} a certificate file may be` };
    return { path, certificates: parseCertificates(await readFile(full, { signal })) };
  } catch (err) {
    signal.throwIfAborted();
    return { path, error: reason(err) };
  }
}

/** Lists and reads configured entries; an entry still in flight from an earlier run is not started again. */
export class CertificateFiles {
  private readonly rootfs: string;
  private readonly timeoutMs: number;
  private readonly calls = new OneCallPerKey();

  constructor(rootfs: string, timeoutMs: number) {
    this.rootfs = rootfs;
    this.timeoutMs = timeoutMs;
  }

  async read(entry: string, signal: AbortSignal): Promise<EntryRead> {
    try {
      return await this.calls.run(entry, () => this.readEntry(entry, signal), this.timeoutMs, signal, 'reading');
    } catch (err) {
      signal.throwIfAborted();
      const error = err instanceof PendingError ? `still being read since ${err.since.toISOString()} (a hung filesystem?)` : reason(err);
      return { entry, files: [], omitted: 0, error };
    }
  }

  private async readEntry(entry: string, signal: AbortSignal): Promise<EntryRead> {
    const paths = await listEntry(entry, this.rootfs, signal);
    const files: FileRead[] = [];
    for (const path of paths.slice(0, MAX_FILES)) files.push(await readCertificates(path, this.rootfs, signal));
    return { entry, files, omitted: Math.max(0, paths.length - MAX_FILES) };
  }
}
