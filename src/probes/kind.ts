// A probe kind is one declaration in its folder: the facts (metadata.ts: key, env shortcuts,
// metrics, checks with their default ladders), the config side (config.ts: schema and how to
// resolve that section) and how to build probe instances from the resolved (frozen) config.
// The registry, the docs tables, --help, the example config's defaults and the JSON Schema are
// derived from it.
//
// The config side is imported only by what validates a config, not with the kind: the agent
// validates in a child process (src/config-process.ts), so it never loads zod, yaml
// and the kinds' schemas, which it would keep for its whole life.
import type { ReportDeprecated } from '../config/deprecation.ts';
import type { ProbeSection, ProbeSettings, ReportProblem, ResolveInput } from '../config/probe-config.ts';
import type { CheckDecl } from '../checks/types.ts';
import type { MetricDecl } from '../metrics/family.ts';
import type { Collection, Probe, ProbeContext } from './types.ts';

// The config side of a kind is declared in src/config/probe-config.ts (the loader reads it
// without knowing probes); probe code imports it from here with the rest of the kind.
export type { ProbeSection, ProbeSettings, ReportDeprecated, ReportProblem, ResolveInput };

/** An environment variable that configures the kind without a file (sidecars); listed in --help. */
export interface EnvShortcut {
  readonly name: string;
  readonly help: string;
}

/** What a probe kind measures and reports, declared once in its folder's metadata.ts. */
export interface ProbeMetadata {
  /** Config key under `probes:`, also the folder name and, unless checkPrefix says otherwise, the check ids' prefix. */
  readonly key: string;
  /** Check ids' prefix when it differs from the key: `probes.backups` reports `backup:freshness`. */
  readonly checkPrefix?: string;
  readonly description: string;
  readonly env: readonly EnvShortcut[];
  /** Every metric its probes may emit. */
  readonly metrics: readonly MetricDecl[];
  /** Every check its probes may report. */
  readonly checks: readonly CheckDecl[];
}

/** Freezes a kind's facts after checking they belong to it: check ids `prefix:…` (shared checks aside), names unique. */
export function defineMetadata<M extends ProbeMetadata>(metadata: M): M {
  const ids = new Set<string>();
  const prefix = metadata.checkPrefix ?? metadata.key;
  for (const check of metadata.checks) {
    if (!check.shared && !check.id.startsWith(`${prefix}:`)) throw new Error(`check ${check.id} of kind ${metadata.key} must be named ${prefix}:…`);
    if (ids.has(check.id)) throw new Error(`check ${check.id} is declared twice`);
    ids.add(check.id);
  }
  const names = new Set<string>();
  for (const metric of metadata.metrics) {
    if (names.has(metric.name)) throw new Error(`metric ${metric.name} is declared twice`);
    names.add(metric.name);
  }
  return Object.freeze({
    ...metadata,
    env: Object.freeze([...metadata.env]),
    metrics: Object.freeze([...metadata.metrics]),
    checks: Object.freeze([...metadata.checks]),
  });
}

/** The config side of a kind, exported by its config.ts: its section's schema and resolver. */
export type KindConfig<Raw, Options> = Pick<ProbeSection<Raw, Options>, 'schema' | 'resolve'>;

/** A probe kind: its facts, a loader of its config side, and how to build its instances. */
export interface ProbeKind<Raw = unknown, Options = unknown> extends ProbeMetadata {
  /** Imports the kind's config.ts; only the config loader calls it (for the agent, in a child process). */
  config(): Promise<KindConfig<Raw, Options>>;
  create(settings: ProbeSettings<Options>, ctx: ProbeContext): Probe;
}

export function defineProbeKind<Raw, Options>(kind: ProbeKind<Raw, Options>): ProbeKind<Raw, Options> {
  return Object.freeze(kind);
}

/** The kinds' sections as the config loader takes them, each kind's config side imported. */
export async function probeSections(kinds: readonly ProbeKind[]): Promise<readonly ProbeSection[]> {
  return Promise.all(kinds.map(async (kind) => Object.freeze({ key: kind.key, description: kind.description, ...(await kind.config()) })));
}

/** What every probe takes from its kind's declaration and its settings; the kind adds the rest. */
export abstract class DeclaredProbe<Options> {
  readonly kind: string;
  /** Instance name, unique across probes: the kind for host probes, `kind/target` otherwise. */
  readonly name: string;
  readonly metrics: readonly MetricDecl[];
  readonly checks: readonly CheckDecl[];
  protected readonly options: Options;

  constructor(metadata: ProbeMetadata, settings: ProbeSettings<Options>) {
    this.kind = metadata.key;
    this.name = settings.name;
    this.metrics = metadata.metrics;
    this.checks = metadata.checks;
    this.options = settings.options;
  }
}

/** A probe class, as a kind's probe.ts exports it. */
export type ProbeClass<Options> = new (settings: ProbeSettings<Options>, ctx: ProbeContext) => Probe;

/**
 * create() for a kind whose probe.ts is imported when its first instance starts, not with the
 * registry: a kind no config uses costs no code (the seven target kinds: ≈ 2.5 MiB RSS and
 * 1.4 MiB of heap in a zero-config agent, measured). The host kinds, on by default, stay eager.
 */
export function lazyProbe<Options>(
  metadata: ProbeMetadata,
  load: () => Promise<ProbeClass<Options>>,
): (settings: ProbeSettings<Options>, ctx: ProbeContext) => Probe {
  return (settings, ctx) => new LazyProbe(metadata, settings, async () => new (await load())(settings, ctx));
}

class LazyProbe<Options> implements Probe {
  readonly kind: string;
  readonly name: string;
  readonly metrics: readonly MetricDecl[];
  readonly checks: readonly CheckDecl[];
  private readonly build: () => Promise<Probe>;
  private inner: Probe | undefined;
  private loading: Promise<Probe> | undefined;

  constructor(metadata: ProbeMetadata, settings: ProbeSettings<Options>, build: () => Promise<Probe>) {
    this.build = build;
    this.kind = metadata.key;
    this.name = settings.name;
    this.metrics = metadata.metrics;
    this.checks = metadata.checks;
  }

  // The probe exists once start() has begun, so a failing first start is recorded under its id.
  get componentId(): string | undefined {
    return this.inner?.componentId;
  }

  get comparesRuns(): boolean | undefined {
    return this.inner?.comparesRuns;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.loading ??= this.build();
    this.inner ??= await this.loading;
    await this.inner.start(signal);
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    if (!this.inner) throw new Error(`probe ${this.name} collected before it started`);
    return this.inner.collect(signal);
  }

  async stop(): Promise<void> {
    await this.inner?.stop();
  }
}
