// A small file the server needs at run time (bearer token, TLS certificate or key): read when
// the server starts, re-read when it changes (Kubernetes swaps a Secret's symlink), the last
// good content kept when a re-read fails. Its content is never logged, only its path.
import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile, type Stats } from 'node:fs';

/** Secrets and certificates are small; a bigger file is a mistake, not something to load. */
const MAX_BYTES = 1024 * 1024;
const POLL_MS = 2000;

export class WatchedFile {
  readonly path: string;
  /** The config key that named it, for messages. */
  readonly key: string;
  private content: Buffer = Buffer.alloc(0);
  private readonly listener: (current: Stats, previous: Stats) => void;
  private readonly onChange: (file: WatchedFile, error?: Error) => void;

  constructor(key: string, path: string, onChange: (file: WatchedFile, error?: Error) => void = () => {}) {
    this.key = key;
    this.path = path;
    this.onChange = onChange;
    this.listener = (current, previous) => {
      if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino && current.size === previous.size) return;
      this.read().then(
        () => this.onChange(this),
        (err: Error) => this.onChange(this, err),
      );
    };
  }

  /** First read; throws an Error saying which key and path could not be read. */
  async start(): Promise<void> {
    await this.read();
    watchFile(this.path, { interval: POLL_MS, persistent: false }, this.listener);
  }

  get value(): Buffer {
    return this.content;
  }

  close(): void {
    unwatchFile(this.path, this.listener);
  }

  private async read(): Promise<void> {
    let data: Buffer;
    try {
      data = await readFile(this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot read ${this.key} ${this.path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'error')}`,
      );
    }
    if (data.length > MAX_BYTES) throw new Error(`${this.key} ${this.path} is larger than 1 MiB`);
    if (data.length === 0) throw new Error(`${this.key} ${this.path} is empty`);
    this.content = data;
  }
}

/** The bearer token of http.auth.token_file: the file's text without surrounding whitespace. */
export class TokenFile extends WatchedFile {
  override async start(): Promise<void> {
    await super.start();
    if (this.token().length === 0) {
      this.close();
      throw new Error(`${this.key} ${this.path} holds only whitespace`);
    }
  }

  token(): Buffer {
    const text = this.value.toString('utf8').trim();
    return Buffer.from(text, 'utf8');
  }
}
