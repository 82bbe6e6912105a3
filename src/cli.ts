// Command line: parses arguments and runs a command, returning its exit code. Never exits.
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { Agent } from './agent.ts';
import { runCheckCommand } from './check-command.ts';
import { ENV_OVERRIDES, DEFAULT_PORT } from './config/env.ts';
import type { ResolvedConfig } from './config/load.ts';
import { loadConfigInChild } from './config-process.ts';
import { EXIT, VigilError, type ExitCode } from './errors.ts';
import { createLogger, type Logger } from './log/logger.ts';
import { probeSections, type ProbeKind } from './probes/kind.ts';
import { VERSION } from './version.ts';

/** Variables read besides the config overrides and the probe kinds' own. */
export const OTHER_ENV: readonly { readonly names: string; readonly overrides: string; readonly help: string }[] = [
  { names: 'VIGIL_CONFIG', overrides: 'the config file', help: 'when `--config` is not given' },
  {
    names: 'NODE_NAME, POD_NAME, POD_NAMESPACE',
    overrides: 'node identity',
    help: 'shown in `/health/detailed` and on traces (`k8s.*` resource attributes; Kubernetes downward API)',
  },
  { names: 'OTEL_EXPORTER_OTLP_ENDPOINT and the other `OTEL_*`', overrides: '`tracing.*`', help: 'see [Tracing](#tracing)' },
];

/** `vigil --help`; its Environment list comes from the config overrides and every probe kind's declaration. */
export function helpText(kinds: readonly ProbeKind[]): string {
  const kindEnv = kinds.flatMap((kind) => kind.env.map((e) => `  ${e.name.padEnd(20)}${e.help.replaceAll('`', '')}`));
  return `vigil ${VERSION} — node and dependency health agent

Usage:
  vigil [run] [--config FILE]        run the agent (HTTP on :${DEFAULT_PORT}: /health, /ready,
                                     /health/detailed, /metrics; JSON logs on stdout)
  vigil check [--config FILE] [--json] [--no-color]
                                     run every configured probe once, print a table;
                                     exit 0 pass, 1 warn, 2 fail (--json: health+json)
  vigil config check FILE            validate a config file and exit (0 valid, 2 invalid)
  vigil config schema                print the config file's JSON Schema
  vigil warm-cache                   load every module once into Node's compile cache
                                     (image builds: the agent then never strips types)
  vigil --help | --version

Options:
  -c, --config FILE   YAML config file (default: $VIGIL_CONFIG, else built-in defaults:
                      disk, memory and cpu probes every 15s)
      --json          (check) print the application/health+json document
      --no-color      (check) plain output even on a terminal
  -h, --help          this help
  -v, --version       print the version

Environment:
${ENV_OVERRIDES.map((o) => `  ${o.env.padEnd(20)}overrides ${o.path.join('.')}`).join('\n')}
${kindEnv.join('\n')}
  VIGIL_CONFIG        config file when --config is not given
  NODE_NAME, POD_NAME, POD_NAMESPACE
                    node identity shown in /health/detailed and on traces (Kubernetes
                    downward API)
  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
                    OTLP/HTTP collector for traces (overrides tracing.endpoint; tracing
                    is off until one is set). Also honoured: OTEL_EXPORTER_OTLP_PROTOCOL
                    (http/protobuf or http/json; no grpc), OTEL_EXPORTER_OTLP_HEADERS,
                    OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG),
                    OTEL_SDK_DISABLED

Exit codes: 0 ok, 1 warn, 2 fail or invalid config, 3 cannot start (e.g. port in use),
64 bad command line, 70 internal error. SIGTERM/SIGINT/SIGHUP/SIGQUIT: /ready turns 503,
the agent drains (http.drain_delay, default 5s), closes and exits 0 (SIGHUP does not reload);
a second signal exits at once. SIGUSR2 is ignored.
`;
}

export interface CliIo {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly isTty: boolean;
  readonly kinds: readonly ProbeKind[];
  /**
   * `run` validates the config in a child process against the registry's kinds, so the agent
   * never loads the validator (main sets it); otherwise in this thread against `kinds`.
   */
  readonly configInChild?: boolean;
  /** Called with the running agent so main can wire signals. */
  readonly onAgent?: (agent: Agent, logger: Logger) => void;
}

export type Command =
  | { name: 'run'; config?: string }
  | { name: 'check'; config?: string; json: boolean; color: boolean }
  | { name: 'config-check'; file: string }
  | { name: 'config-schema' }
  | { name: 'warm-cache' }
  | { name: 'help' }
  | { name: 'version' };

export function parseCommand(argv: readonly string[], isTty: boolean): Command {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return { name: 'help' };
  if (values.version) return { name: 'version' };
  const [verb = 'run', ...rest] = positionals;
  const config = values.config;
  const noExtra = (n: number) => {
    if (rest.length > n) throw new VigilError('USAGE', `unexpected argument: ${rest[n]}`);
  };
  switch (verb) {
    case 'run':
      noExtra(0);
      return config === undefined ? { name: 'run' } : { name: 'run', config };
    case 'check': {
      noExtra(0);
      const color = isTty && !values['no-color'];
      const json = values.json ?? false;
      return config === undefined ? { name: 'check', json, color } : { name: 'check', config, json, color };
    }
    case 'config': {
      const [sub, file] = rest;
      if (sub === 'schema') return { name: 'config-schema' };
      if (sub !== 'check') throw new VigilError('USAGE', 'usage: vigil config check FILE | vigil config schema');
      const target = file ?? config;
      if (!target) throw new VigilError('USAGE', 'usage: vigil config check FILE');
      if (rest.length > 2) throw new VigilError('USAGE', `unexpected argument: ${rest[2]}`);
      return { name: 'config-check', file: target };
    }
    case 'warm-cache':
      noExtra(0);
      return { name: 'warm-cache' };
    default:
      throw new VigilError('USAGE', `unknown command: ${verb} (see vigil --help)`);
  }
}

// The validator (yaml, zod, the kinds' schemas) is loaded only by the commands that use it.
async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv, kinds: readonly ProbeKind[]): Promise<ResolvedConfig> {
  const [{ loadConfig }, sections] = await Promise.all([import('./config/load.ts'), probeSections(kinds)]);
  return loadConfig({ path, env, kinds: sections });
}

/** Runs the command. Returns an exit code for the short commands, or `undefined` when the agent keeps running. */
export async function runCli(io: CliIo): Promise<ExitCode | undefined> {
  let command: Command;
  try {
    command = parseCommand(io.argv, io.isTty);
  } catch (err) {
    io.stderr(`vigil: ${err instanceof VigilError ? err.message : (err as Error).message}\n\n${helpText(io.kinds)}`);
    return EXIT.USAGE;
  }
  try {
    switch (command.name) {
      case 'help':
        io.stdout(helpText(io.kinds));
        return EXIT.OK;
      case 'version':
        io.stdout(`${VERSION}\n`);
        return EXIT.OK;
      case 'warm-cache': {
        const { modules, dir } = await (await import('./warm-cache.ts')).warmCompileCache();
        io.stdout(
          dir ? `compile cache ${dir}: ${modules} modules\n` : `no compile cache (NODE_COMPILE_CACHE unset; bin/vigil sets it): ${modules} modules loaded\n`,
        );
        return EXIT.OK;
      }
      case 'config-schema':
        io.stdout(`${JSON.stringify((await import('./config/schema.ts')).configJsonSchema(await probeSections(io.kinds)), null, 2)}\n`);
        return EXIT.OK;
      case 'config-check': {
        const config = await loadConfig(command.file, io.env, io.kinds);
        io.stdout(`${command.file}: valid (${config.probes.length} probes: ${config.probes.map((p) => p.name).join(', ') || 'none'})\n`);
        // Valid still, exit 0: the former keys work for this release.
        for (const d of config.deprecations) io.stderr(`vigil: warning: ${d.message}\n`);
        return EXIT.OK;
      }
      case 'check': {
        const config = await loadConfig(command.config, io.env, io.kinds);
        // Logs go to stderr so stdout stays the table (or JSON); only problems are shown.
        const logger = createLogger({ level: 'warn', service: config.service.name, destination: { write: (s: string) => io.stderr(s) } });
        return await runCheckCommand(config, io.kinds, logger, { json: command.json, color: command.color, write: io.stdout });
      }
      case 'run': {
        const config = io.configInChild
          ? await loadConfigInChild(command.config ?? (io.env.VIGIL_CONFIG || undefined), io.env)
          : await loadConfig(command.config, io.env, io.kinds);
        const logger = createLogger({ level: config.log.level, service: config.service.name, host: hostname() });
        const agent = new Agent(config, io.kinds, logger, io.env);
        io.onAgent?.(agent, logger);
        try {
          await agent.start();
        } catch (err) {
          // stdout is what reaches ELK: say it there too, as the convention's FATAL.
          logger.fatal({ event: 'agent.start_failed', error: err }, (err as Error).message);
          throw err;
        }
        return undefined;
      }
    }
  } catch (err) {
    if (err instanceof VigilError) {
      io.stderr(`vigil: ${err.message}${err.problems.map((p) => `\n  ${p}`).join('')}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
