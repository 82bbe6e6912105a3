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
  onAgent: (agent, logger) => {
    agentLogger = logger;
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        logger.warn({ event: 'agent.forced_exit', details: { signal } }, `second ${signal}: exiting now`);
        process.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
      }
      signalled = true;
      agent.shutdown(signal).then(
        () => process.exit(EXIT.OK),
        (err: unknown) => fatal('shutdown failed', err),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  },
});

// Short commands exit here; stdout and stderr are synchronous for files and pipes on Linux.
if (code !== undefined) process.exit(code);
