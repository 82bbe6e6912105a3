// The port and the environment overrides, apart from the loader: --help lists them without
// loading the validator.

export const DEFAULT_PORT = 9477;

/** Environment variables that override config file settings, and where they land. */
export const ENV_OVERRIDES: readonly { env: string; path: readonly string[]; kind: 'int' | 'string'; help: string }[] = [
  { env: 'VIGIL_PORT', path: ['http', 'port'], kind: 'int', help: `default ${DEFAULT_PORT}` },
  { env: 'VIGIL_HTTP_HOST', path: ['http', 'host'], kind: 'string', help: 'default `0.0.0.0`; `127.0.0.1` keeps the agent off the network' },
  { env: 'VIGIL_INTERVAL', path: ['defaults', 'interval'], kind: 'string', help: 'default `15s`' },
  { env: 'VIGIL_LOG_LEVEL', path: ['log', 'level'], kind: 'string', help: 'default `info`' },
  { env: 'VIGIL_HOST_ROOT', path: ['host', 'root'], kind: 'string', help: '`/host` in a DaemonSet: read `/host/proc`, `/host/sys`, statfs below `/host`' },
];
