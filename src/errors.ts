// Every way the process can end, in one table. Only src/main.ts calls process.exit.

export const EXIT = Object.freeze({
  /** Agent stopped cleanly; `vigil check`: every check passes. */
  OK: 0,
  /** `vigil check`: at least one check warns, none fails. Also an unexpected runtime error. */
  WARN: 1,
  /** `vigil check`: at least one check fails. Also: the configuration is invalid. */
  FAIL: 2,
  /** The agent could not start (port in use, probe kinds could not be built…). */
  STARTUP: 3,
  /** Command line not understood (sysexits EX_USAGE). */
  USAGE: 64,
  /** A bug: an error nobody expected (sysexits EX_SOFTWARE). */
  INTERNAL: 70,
  /** A second SIGTERM / SIGINT / SIGHUP / SIGQUIT during shutdown: exit at once (128 + signal number). */
  SIGHUP: 129,
  SIGINT: 130,
  SIGQUIT: 131,
  SIGTERM: 143,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Error codes written to logs (`error.code`) and the exit code each one ends the process with. */
export const ERRORS = Object.freeze({
  CONFIG_INVALID: { exit: EXIT.FAIL },
  CONFIG_UNREADABLE: { exit: EXIT.FAIL },
  USAGE: { exit: EXIT.USAGE },
  LISTEN_FAILED: { exit: EXIT.STARTUP },
  INTERNAL: { exit: EXIT.INTERNAL },
});

export type ErrorCode = keyof typeof ERRORS;

/** An error the user can act on: printed as its message (and problems), never as a stack trace. */
export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly string[];
  constructor(code: ErrorCode, message: string, problems: readonly string[] = []) {
    super(message);
    this.name = 'VigilError';
    this.code = code;
    this.problems = problems;
  }
  get exitCode(): ExitCode {
    return ERRORS[this.code].exit;
  }
}
