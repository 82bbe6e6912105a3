// Text that came from outside (mount points, group names, server messages) shown on a terminal
// or in a line-oriented answer: control characters would forge lines or recolour the screen.

/**
 * Escapes C0/C1 control characters, DEL and the Unicode line/paragraph separators as `\n`,
 * `\r`, `\t`, else `\xNN` / `\uNNNN`. Everything else, non-ASCII letters included, is kept.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
