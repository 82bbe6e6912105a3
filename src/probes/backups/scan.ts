// Finding a rule's files under the host root without leaving it. Paths are the host's view
// (`/backups/2026-01-01/orchestrator-full.sql`); on disk they are under `root` (`/host` in a
// DaemonSet). Symlinks are resolved component by component as the host would, but inside the
// root: an absolute target is the host's path (so under the root), and a relative one that
// climbs above the root is refused, never followed. Every call goes through libuv's thread pool
// (nothing blocks the event loop); the caller bounds the whole scan with a deadline.
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';

/** Symlinks followed while resolving one path, as Linux's MAXSYMLINKS. */
const MAX_LINKS = 40;

export interface BackupFile {
  /** As the host sees it. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

export interface Scan {
  /** Regular files matching, in no particular order. */
  readonly files: BackupFile[];
  /** Host paths of matches (or of directories on the way) whose symlinks leave the root. */
  readonly refused: string[];
}

/** `*`, `?` and `[…]` (`[!…]` negated) within one path segment; a leading dot is matched only literally. */
export function segmentMatcher(segment: string): RegExp | null {
  if (!/[*?[]/.test(segment)) return null;
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${segment.startsWith('.') ? '' : '(?!\\.)'}${source}$`);
}

/** The path's components; empty and `.` dropped. */
function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

type Resolved = { readonly real: string; readonly stats: Stats } | 'missing' | 'refused';

/** Resolves a host path under `root` (see the file's header); lstat of what it names. */
export async function resolveInRoot(root: string, hostPath: string): Promise<Resolved> {
  let pending = components(hostPath);
  let done: string[] = [];
  let links = 0;
  let stats: Stats | undefined;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      if (done.length === 0) return 'refused';
      done.pop();
      stats = undefined;
      continue;
    }
    const real = join(root, ...done, part);
    let st: Stats;
    try {
      st = await lstat(real);
    } catch (err) {
      if (isMissing(err)) return 'missing';
      throw err;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${hostPath}`), { code: 'ELOOP' });
      const target = await readlink(real);
      if (target.startsWith('/')) done = [];
      pending = [...components(target), ...pending];
      continue;
    }
    done.push(part);
    stats = st;
  }
  stats ??= await lstat(join(root, ...done));
  return { real: join(root, ...done), stats };
}

/** The regular files matching `pattern` (absolute, host view, no `..`) under `root`. */
export async function scan(root: string, pattern: string): Promise<Scan> {
  const segments = components(pattern);
  const refused: string[] = [];
  const files: BackupFile[] = [];
  let dirs: { host: string; real: string }[] = [{ host: '/', real: root }];
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const matcher = segmentMatcher(segment);
    const next: { host: string; real: string }[] = [];
    for (const dir of dirs) {
      let names: string[];
      if (matcher) {
        try {
          names = (await readdir(dir.real)).filter((n) => matcher.test(n)).sort();
        } catch (err) {
          if (isMissing(err)) continue; // gone since it was listed
          throw err;
        }
      } else names = [segment];
      for (const name of names) {
        const host = dir.host === '/' ? `/${name}` : `${dir.host}/${name}`;
        const resolved = await resolveInRoot(root, host);
        if (resolved === 'missing') continue;
        if (resolved === 'refused') {
          refused.push(host);
          continue;
        }
        if (last) {
          if (resolved.stats.isFile()) files.push({ path: host, sizeBytes: resolved.stats.size, mtimeMs: resolved.stats.mtimeMs });
        } else if (resolved.stats.isDirectory()) next.push({ host, real: resolved.real });
      }
    }
    dirs = next;
  }
  return { files, refused };
}
