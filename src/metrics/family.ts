// Metric declarations and the store behind /metrics.
//
// A metric is declared once (name with its unit, help, label names) next to the probe that
// emits it. Probes return samples; the runner writes them here. We keep our own families
// rather than prom-client's Gauge/Counter because probes report absolute values read from
// the system (a counter from /proc is set, not incremented) and because the same data must
// render both as Prometheus text and as OpenMetrics, which prom-client only does with one
// registry per format.
import { createRequire } from 'node:module';
import type client from 'prom-client';

// prom-client's index loads all it has: the default metrics (whose CPU counter requires the
// OpenTelemetry API, for exemplars), the Pushgateway client, the cluster aggregator
// (node:cluster), Summary and its t-digest. The store needs the registry and the histogram,
// required alone (CommonJS files of the pinned version; every /metrics test renders through them).
const requireCjs = createRequire(import.meta.url);
const Registry = requireCjs('prom-client/lib/registry') as typeof client.Registry;
const Histogram = requireCjs('prom-client/lib/histogram') as typeof client.Histogram;

export type MetricKind = 'gauge' | 'counter';

export interface MetricDecl {
  readonly name: string;
  readonly help: string;
  readonly kind: MetricKind;
  readonly labels: readonly string[];
  /**
   * Labels a series may carry on top of `labels`, kept when given: a Redis Cluster member's
   * `member` and `shard`, while a single server's series keep only `target`.
   */
  readonly optionalLabels?: readonly string[];
}

// Our own metrics are vigil_*; process_* and nodejs_* keep the names every Node.js dashboard uses.
const NAME = /^(vigil|process|nodejs)_[a-z0-9_]+$/;

function declare(kind: MetricKind, name: string, help: string, labels: readonly string[], optionalLabels: readonly string[]): MetricDecl {
  if (!NAME.test(name)) throw new Error(`metric name ${name} must match ${NAME}`);
  if (kind === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
  if (kind !== 'counter' && name.endsWith('_total')) throw new Error(`gauge ${name} must not end in _total`);
  return Object.freeze({
    name,
    help,
    kind,
    labels: Object.freeze([...labels]),
    ...(optionalLabels.length ? { optionalLabels: Object.freeze([...optionalLabels]) } : {}),
  });
}

export function gauge(name: string, help: string, labels: readonly string[] = [], optionalLabels: readonly string[] = []): MetricDecl {
  return declare('gauge', name, help, labels, optionalLabels);
}

export function counter(name: string, help: string, labels: readonly string[] = [], optionalLabels: readonly string[] = []): MetricDecl {
  return declare('counter', name, help, labels, optionalLabels);
}

type Labels = Readonly<Record<string, string>>;

interface Series {
  labels: Labels;
  value: number;
}

function seriesKey(decl: MetricDecl, labels: Labels): string {
  // Label order comes from the declaration, so the key is stable whatever the caller's order.
  const key = decl.labels.map((l) => labels[l] ?? '');
  for (const l of decl.optionalLabels ?? []) key.push(labels[l] ?? '');
  return key.join('\u0000');
}

class Family {
  readonly series = new Map<string, Series>();
  readonly decl: MetricDecl;
  readonly onCollect: (() => void) | undefined;
  constructor(decl: MetricDecl, onCollect: (() => void) | undefined) {
    this.decl = decl;
    this.onCollect = onCollect;
  }
}

/**
 * prom-client's Registry calls `get()` on whatever it holds. One view per registry, because
 * the OpenMetrics registry renames counters (drops `_total`) on the object it is given.
 */
class FamilyView {
  name: string;
  readonly help: string;
  readonly type: MetricKind;
  readonly aggregator = 'sum';
  private readonly family: Family;
  constructor(family: Family) {
    this.family = family;
    this.name = family.decl.name;
    this.help = family.decl.help;
    this.type = family.decl.kind;
  }
  get() {
    this.family.onCollect?.();
    const values = [];
    for (const s of this.family.series.values()) values.push({ labels: { ...s.labels }, value: s.value });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

type Format = 'prometheus' | 'openMetrics';

interface Registries {
  readonly prometheus: client.Registry<client.PrometheusContentType>;
  readonly openMetrics: client.Registry<client.OpenMetricsContentType>;
}

function registries(): Registries {
  return { prometheus: new Registry<client.PrometheusContentType>(), openMetrics: newOpenMetricsRegistry() };
}

export interface HistogramHandle {
  observe(labels: Labels, value: number): void;
}

/**
 * Everything /metrics serves. Stored families (set when a probe run ends) are rendered once per
 * change and the text is reused until the next change; live families (computed at scrape time:
 * check status with staleness, runtime figures) are rendered on every scrape. A scrape's cost
 * is then that of the few live families, however many series the probes publish.
 */
export class MetricStore {
  private readonly stored = registries();
  private readonly live = registries();
  private readonly families = new Map<string, Family>();
  /** Label sets each owner (probe instance) wrote last time, to drop series that vanished. */
  private readonly owned = new Map<string, Map<MetricDecl, Set<string>>>();
  /** Bumped on every change to a stored family; the rendered text is valid for one version. */
  private version = 0;
  private readonly rendered = new Map<Format, { version: number; text: string }>();
  /** The last whole rendering per format and the current one-second scrape burst (renderForScrape). */
  private readonly lastScrape = new Map<Format, { at: number; contentType: string; body: Buffer }>();
  private burst = { start: 0, count: 0 };

  /** Registers a declaration; idempotent for the same object. `onCollect` runs at scrape time. */
  register(decl: MetricDecl, onCollect?: () => void): void {
    const existing = this.families.get(decl.name);
    if (existing) {
      if (existing.decl !== decl) throw new Error(`metric ${decl.name} declared twice`);
      return;
    }
    const family = new Family(decl, onCollect);
    this.families.set(decl.name, family);
    const target = onCollect ? this.live : this.stored;
    for (const registry of [target.prometheus, target.openMetrics]) {
      registry.registerMetric(new FamilyView(family) as unknown as client.Metric);
    }
    if (!onCollect) this.version++;
  }

  /** A histogram (prom-client's; we only ever observe into it), stored like other families. */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): HistogramHandle {
    if (!NAME.test(name)) throw new Error(`metric name ${name} must match ${NAME}`);
    const formats = [this.stored.prometheus, this.stored.openMetrics].map(
      (registry) => new Histogram({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [registry] }),
    );
    return {
      observe: (labels, value) => {
        for (const h of formats) h.observe(labels, value);
        this.version++;
      },
    };
  }

  set(decl: MetricDecl, labels: Labels, value: number): void {
    const family = this.family(decl);
    for (const name of decl.labels) {
      if (labels[name] === undefined) throw new Error(`metric ${decl.name}: missing label ${name}`);
    }
    const key = seriesKey(decl, labels);
    const picked: Record<string, string> = {};
    for (const name of decl.labels) picked[name] = labels[name] as string;
    for (const name of decl.optionalLabels ?? []) if (labels[name] !== undefined) picked[name] = labels[name];
    family.series.set(key, { labels: picked, value });
    this.changed(family);
  }

  delete(decl: MetricDecl, labels: Labels): void {
    const family = this.family(decl);
    if (family.series.delete(seriesKey(decl, labels))) this.changed(family);
  }

  /** Drops every series of a family (for families rebuilt at each scrape). */
  clear(decl: MetricDecl): void {
    const family = this.family(decl);
    family.series.clear();
    this.changed(family);
  }

  /**
   * Replaces everything `owner` published for its families with `samples`: series the owner
   * wrote last time and not now are removed (an unmounted disk, a deleted consumer group),
   * series of other owners sharing the family (another target) are left alone.
   */
  publish(owner: string, decls: readonly MetricDecl[], samples: readonly { metric: MetricDecl; labels: Labels; value: number }[]): void {
    const previous = this.owned.get(owner) ?? new Map<MetricDecl, Set<string>>();
    const next = new Map<MetricDecl, Set<string>>();
    for (const decl of decls) next.set(decl, new Set());
    for (const sample of samples) {
      const keys = next.get(sample.metric);
      if (!keys) throw new Error(`${owner} emitted undeclared metric ${sample.metric.name}`);
      this.set(sample.metric, sample.labels, sample.value);
      keys.add(seriesKey(sample.metric, sample.labels));
    }
    for (const [decl, keys] of previous) {
      const family = this.families.get(decl.name);
      if (!family) continue;
      const keep = next.get(decl);
      for (const key of keys) if (!keep?.has(key) && family.series.delete(key)) this.changed(family);
    }
    this.owned.set(owner, next);
  }

  /** Removes every series an owner published (probe stopped or removed). */
  forget(owner: string): void {
    this.publish(owner, [], []);
    this.owned.delete(owner);
  }

  value(decl: MetricDecl, labels: Labels): number | undefined {
    return this.family(decl).series.get(seriesKey(decl, labels))?.value;
  }

  /** Renders for a scraper; OpenMetrics when its Accept header asks for it. */
  async render(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    return this.renderFormat(wantsOpenMetrics(accept) ? 'openMetrics' : 'prometheus');
  }

  /**
   * What /metrics serves. The first SCRAPES_RENDERED_PER_SECOND scrapes in a second get a fresh
   * rendering; later ones share the last one (at most a second old) as one Buffer, so a flood
   * costs a string per second instead of one per request, which is what grew the heap.
   */
  async renderForScrape(accept: string | undefined, now = performance.now()): Promise<{ contentType: string; body: Buffer }> {
    if (now - this.burst.start > 1000) this.burst = { start: now, count: 0 };
    this.burst.count++;
    const format: Format = wantsOpenMetrics(accept) ? 'openMetrics' : 'prometheus';
    const last = this.lastScrape.get(format);
    if (this.burst.count > SCRAPES_RENDERED_PER_SECOND && last && now - last.at < 1000) return last;
    const rendered = await this.renderFormat(format);
    const fresh = { at: now, contentType: rendered.contentType, body: Buffer.from(rendered.body, 'utf8') };
    this.lastScrape.set(format, fresh);
    return fresh;
  }

  private async renderFormat(format: Format): Promise<{ contentType: string; body: string }> {
    let stored = this.rendered.get(format);
    if (stored?.version !== this.version) {
      const version = this.version;
      stored = { version, text: withoutEof(await this.stored[format].metrics()) };
      // A change during the await makes this text already old: keep it for this scrape only.
      if (version === this.version) this.rendered.set(format, stored);
    }
    const live = await this.live[format].metrics();
    return { contentType: this.live[format].contentType, body: stored.text + (format === 'prometheus' ? '\n' : '') + live };
  }

  private changed(family: Family): void {
    if (!family.onCollect) this.version++;
  }

  private family(decl: MetricDecl): Family {
    const family = this.families.get(decl.name);
    if (!family || family.decl !== decl) throw new Error(`metric ${decl.name} is not registered`);
    return family;
  }
}

/** Scrapes in one second that each get a fresh rendering; later ones share the last. */
const SCRAPES_RENDERED_PER_SECOND = 10;

/** OpenMetrics ends with a single `# EOF`; the stored part is followed by the live part. */
function withoutEof(text: string): string {
  return text.endsWith('# EOF\n') ? text.slice(0, -'# EOF\n'.length) : text;
}

function newOpenMetricsRegistry(): client.Registry<client.OpenMetricsContentType> {
  const registry = new Registry<client.OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as client.OpenMetricsContentType);
  return registry;
}

/** True when the Accept header prefers OpenMetrics over the Prometheus text format. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part
      .trim()
      .split(';')
      .map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain' || type === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}
