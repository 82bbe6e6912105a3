// JSON bodies: a field picked by a path (json: { path, equals }), and the status a health
// endpoint reports about itself (IETF health+json, Spring Boot, ALECS's /health/detailed).
import type { Status } from '../../checks/levels.ts';

export type JsonPath = readonly (string | number)[];

/** `a.b[0].c`, `$.a.b`, `checks["db:ping"].status` → keys; undefined when malformed. */
export function parseJsonPath(text: string): JsonPath | undefined {
  const out: (string | number)[] = [];
  let rest = text.startsWith('$') ? text.slice(1) : text;
  if (rest && !/^[.[]/.test(rest)) rest = `.${rest}`;
  const part = /^(?:\.([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\])/;
  while (rest) {
    const match = part.exec(rest);
    if (!match) return undefined;
    const [whole, key, index, quoted] = match;
    if (key !== undefined) out.push(key);
    else if (index !== undefined) out.push(Number(index));
    else out.push(JSON.parse(`"${quoted}"`) as string);
    rest = rest.slice(whole.length);
  }
  return out.length ? out : undefined;
}

/** The value at `path`; undefined when a step is missing. */
export function valueAt(doc: unknown, path: JsonPath): unknown {
  let here: unknown = doc;
  for (const key of path) {
    if (here === null || typeof here !== 'object') return undefined;
    if (typeof key === 'number' ? !Array.isArray(here) : Array.isArray(here)) return undefined;
    if (!Object.hasOwn(here, key)) return undefined;
    here = (here as Record<string | number, unknown>)[key];
  }
  return here;
}

/** application/json, application/health+json, application/problem+json… */
export function isJsonType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType.trim());
}

export function isHealthJsonType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/health\+json\s*(;|$)/i.test(contentType.trim());
}

const HEALTH: Readonly<Record<string, Status>> = { pass: 'pass', ok: 'pass', up: 'pass', warn: 'warn', fail: 'fail', down: 'fail' };

/**
 * The status a JSON health document gives itself (top-level `status`, case-insensitive), as
 * Vigil's own; undefined when the body is not one. A health+json body with another value is
 * unknown (`fail`, as the draft says a consumer should treat it).
 */
export function healthOf(doc: unknown, healthType: boolean): { status: Status; said: string } | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const said = (doc as Record<string, unknown>).status;
  if (typeof said !== 'string') return healthType ? { status: 'fail', said: String(said) } : undefined;
  const status = HEALTH[said.toLowerCase()];
  if (status) return { status, said };
  return healthType ? { status: 'fail', said } : undefined;
}
