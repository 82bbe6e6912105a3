// Process entry point: the only place that exits the process or handles signals.
import './threadpool.ts';
import { runCli } from './cli.ts';
import { EXIT } from './errors.ts';
import { serializeError } from './log/logger.ts';
import { PROBE_KINDS } from './probes/registry.ts';

let agentLogger: import('./log/logger.ts').Logger | undefined;

// An exception nobody caught may have left state half-updated: stop. A promise rejection
// nobody handled (a driver's stray callback, say) is logged and the agent goes on: no probe
// error may take the agent down.
process.on('uncaughtException', (err) => fatal('uncaught exception', err));
process.on('unhandledRejection', (err) => {
  if (!agentLogger) fatal('unhandled promise rejection', err);
  agentLogger.error({ event: 'agent.unhandled_rejection', error: err }, `unhandled promise rejection: ${serializeError(err).message}`);
});

// Process warnings (deprecations such as DEP0123, MaxListenersExceeded…) would go to stderr as
// plain text; they go through the logger as JSON instead, once per code (or per message).
process.removeAllListeners('warning');
const warned = new Set<string>();
process.on('warning', (warning) => {
  const key = (warning as Error & { code?: string }).code ?? `${warning.name}: ${warning.message}`;
  if (warned.has(key) || warned.size >= 100) return;
  warned.add(key);
  const code = (warning as Error & { code?: string }).code;
  if (agentLogger) {
    agentLogger.warn({ event: 'process.warning', details: { name: warning.name, code } }, `${warning.name}${code ? ` ${code}` : ''}: ${warning.message}`);
  } else process.stderr.write(`vigil: ${warning.name}${code ? ` ${code}` : ''}: ${warning.message}\n`);
});

function fatal(what: string, err: unknown): never {
  if (agentLogger) agentLogger.fatal({ event: 'agent.crashed', error: err }, `${what}: ${serializeError(err).message}`);
  else process.stderr.write(`vigil: ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(EXIT.INTERNAL);
}

const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: process.stdout.isTTY === true,
  kinds: PROBE_KINDS,
  configInChild: true,
  onAgent: (agent, logger) => {
    agentLogger = logger;
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        logger.warn({ event: 'agent.forced_exit', details: { signal } }, `second ${signal}: exiting now`);
        process.exit(signal === 'SIGINT' ? EXIT.SIGINT : signal === 'SIGHUP' ? EXIT.SIGHUP : signal === 'SIGQUIT' ? EXIT.SIGQUIT : EXIT.SIGTERM);
      }
      signalled = true;
      agent.shutdown(signal).then(
        () => process.exit(EXIT.OK),
        (err: unknown) => fatal('shutdown failed', err),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // SIGHUP (terminal closed, or `kill -HUP` out of habit) and SIGQUIT stop the agent the same
    // way: drain and exit 0. There is no reload: the config is validated once and frozen, and
    // Kubernetes rolls a new pod for a new config.
    process.on('SIGHUP', onSignal);
    process.on('SIGQUIT', onSignal);
    // SIGUSR2 means nothing to Vigil: say so and keep running (Node's default would kill it).
    // SIGUSR1 (inspector) is disabled by --disable-sigusr1 in bin/vigil, npm start and the image.
    process.on('SIGUSR2', () => logger.warn({ event: 'agent.signal_ignored', details: { signal: 'SIGUSR2' } }, 'SIGUSR2 ignored'));
  },
});

// Short commands exit here; stdout and stderr are synchronous for files and pipes on Linux.
if (code !== undefined) process.exit(code);
