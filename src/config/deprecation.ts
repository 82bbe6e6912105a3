// Former config keys that still work for one release: a kind's resolver reports each one it
// maps onto its replacement, the loader collects them in the resolved config, and the agent
// logs each once at start (WARN, event config.deprecated).

/**
 * Records a former config key: `path` was given, `replacement` is what to write instead. Both
 * relative to the kind's section, like ReportProblem's paths.
 */
export type ReportDeprecated = (path: string, replacement: string) => void;

export interface Deprecation {
  /** The former key, e.g. probes.redis.targets.0.tls_ca_file. */
  readonly path: string;
  /** What to write instead, e.g. probes.redis.targets.0.tls.ca_file. */
  readonly replacement: string;
  /** One sentence naming both, for the log line and `vigil config check`. */
  readonly message: string;
}

export function deprecation(path: string, replacement: string): Deprecation {
  return { path, replacement, message: `${path} is deprecated: write ${replacement} instead (the old key is removed in the next release)` };
}
