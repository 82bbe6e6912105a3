// Redaction of connection URLs, shared by probe configs and the trace exporter's log lines.

/**
 * A URL fit for logs, health output and span attributes: the password replaced by `***`
 * (user name kept, it helps diagnose auth errors), and the query string dropped, since
 * drivers accept secrets there too (`?password=`, `sslkey=`). Unparseable text is not echoed.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(unparseable URL)';
  }
  if (url.password) url.password = '***';
  url.search = '';
  url.hash = '';
  return url.toString();
}
