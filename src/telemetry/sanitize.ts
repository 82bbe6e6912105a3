// Defensive scrubbing of span data before it leaves the process. Probes already put only
// target names and host:port on spans; this catches what slips through anyway: a driver error
// message quoting a connection string, an attribute named after a secret.
import type { Attributes, AttributeValue } from '@opentelemetry/api';

export const REDACTED = '[REDACTED]';

/** Attribute keys with a segment naming a secret (`sasl.password`, `auth.token`, `x-api-key`). */
const SECRET_KEY =
  /(^|[._-])(passw(or)?d|pwd|secret|(access|auth|bearer|refresh)?[-_]?token|api[-_]?key|authori[sz]ation|credentials?|private[-_]?key|sslkey|cookie)($|[._-])/i;
/** user:password@ in any URL-like text. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi;
/** key=value secrets in query strings and libpq/JDBC-style connection strings. */
const KEY_VALUE_SECRET = /\b((?:ssl)?pass(?:word|wd)?|pwd|secret|token|api[-_]?key|access[-_]?key|sslkey)(\s*=\s*)("[^"]*"|'[^']*'|[^\s&;,]+)/gi;
/** Cheap pre-test: only text containing one of these can need scrubbing. */
const MAYBE_SECRET = /@|=/;

/** Text with URL passwords and key=value secrets replaced. */
export function scrubText(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  return text.replace(URL_CREDENTIALS, '$1:***@').replace(KEY_VALUE_SECRET, `$1$2${REDACTED}`);
}

function scrubValue(key: string, value: AttributeValue | undefined): AttributeValue | undefined {
  if (value === undefined || value === null) return value;
  if (SECRET_KEY.test(key)) return REDACTED;
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      if (typeof item !== 'string') return item;
      const clean = scrubText(item);
      if (clean !== item) changed = true;
      return clean;
    });
    return changed ? (out as AttributeValue) : value;
  }
  return value;
}

/** The same object when nothing needed scrubbing (the usual case), else a scrubbed copy. */
export function scrubAttributes(attributes: Attributes): Attributes {
  let out: Attributes | undefined;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    const clean = scrubValue(key, value);
    if (clean !== value) {
      out ??= { ...attributes };
      out[key] = clean;
    }
  }
  return out ?? attributes;
}
