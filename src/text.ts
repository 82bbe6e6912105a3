// Text helpers: what came from outside made safe to show (mount points, group names, server
// messages on a terminal or a line-oriented answer), short reasons, rounded values, byte sizes.

/**
 * Escapes C0/C1 control characters, DEL and the Unicode line/paragraph separators as `\n`,
 * `\r`, `\t`, else `\xNN` / `\uNNNN`. Everything else, non-ASCII letters included, is kept.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A short reason for outputs and partial errors: `EACCES: permission denied, statfs '/x'`. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1.5 GiB, 512 MiB, 12.1 GiB: three significant digits at most. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${+value.toPrecision(3)} ${BYTE_UNITS[unit]}`;
}
