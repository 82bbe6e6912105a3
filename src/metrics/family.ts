// Metric declarations and the store behind /metrics.
//
// A metric is declared once (name with its unit, help, label names) next to the probe that
// emits it. Probes return samples; the runner writes them here. We keep our own families
// rather than prom-client's Gauge/Counter because probes report absolute values read from
// the system (a counter from /proc is set, not incremented) and because the same data must
// render both as Prometheus text and as OpenMetrics, which prom-client only does with one
// registry per format.
import client from 'prom-client';

export type MetricKind = 'gauge' | 'counter';

export interface MetricDecl {
  readonly name: string;
  readonly help: string;
  readonly kind: MetricKind;
  readonly labels: readonly string[];
}

const NAME = /^vigil_[a-z0-9_]+$/;

function declare(kind: MetricKind, name: string, help: string, labels: readonly string[]): MetricDecl {
  if (!NAME.test(name)) throw new Error(`metric name ${name} must match ${NAME}`);
  if (kind === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
  if (kind !== 'counter' && name.endsWith('_total')) throw new Error(`gauge ${name} must not end in _total`);
  return Object.freeze({ name, help, kind, labels: Object.freeze([...labels]) });
}

export function gauge(name: string, help: string, labels: readonly string[] = []): MetricDecl {
  return declare('gauge', name, help, labels);
}

export function counter(name: string, help: string, labels: readonly string[] = []): MetricDecl {
  return declare('counter', name, help, labels);
}

type Labels = Readonly<Record<string, string>>;

interface Series {
  labels: Labels;
  value: number;
}

function seriesKey(decl: MetricDecl, labels: Labels): string {
  // Label order comes from the declaration, so the key is stable whatever the caller's order.
  return decl.labels.map((l) => labels[l] ?? '').join('\u0000');
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

export class MetricStore {
  readonly prometheus = new client.Registry<client.PrometheusContentType>();
  readonly openMetrics = newOpenMetricsRegistry();
  private readonly families = new Map<string, Family>();
  /** Label sets each owner (probe instance) wrote last time, to drop series that vanished. */
  private readonly owned = new Map<string, Map<MetricDecl, Set<string>>>();

  /** Registers a declaration; idempotent for the same object. `onCollect` runs at scrape time. */
  register(decl: MetricDecl, onCollect?: () => void): void {
    const existing = this.families.get(decl.name);
    if (existing) {
      if (existing.decl !== decl) throw new Error(`metric ${decl.name} declared twice`);
      return;
    }
    const family = new Family(decl, onCollect);
    this.families.set(decl.name, family);
    for (const registry of [this.prometheus, this.openMetrics]) {
      registry.registerMetric(new FamilyView(family) as unknown as client.Metric);
    }
  }

  set(decl: MetricDecl, labels: Labels, value: number): void {
    const family = this.family(decl);
    for (const name of decl.labels) {
      if (labels[name] === undefined) throw new Error(`metric ${decl.name}: missing label ${name}`);
    }
    const key = seriesKey(decl, labels);
    const picked: Record<string, string> = {};
    for (const name of decl.labels) picked[name] = labels[name] as string;
    family.series.set(key, { labels: picked, value });
  }

  delete(decl: MetricDecl, labels: Labels): void {
    this.family(decl).series.delete(seriesKey(decl, labels));
  }

  /** Drops every series of a family (for families rebuilt at each scrape). */
  clear(decl: MetricDecl): void {
    this.family(decl).series.clear();
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
      let keys = next.get(sample.metric);
      if (!keys) throw new Error(`${owner} emitted undeclared metric ${sample.metric.name}`);
      this.set(sample.metric, sample.labels, sample.value);
      keys.add(seriesKey(sample.metric, sample.labels));
    }
    for (const [decl, keys] of previous) {
      const family = this.families.get(decl.name);
      if (!family) continue;
      const keep = next.get(decl);
      for (const key of keys) if (!keep?.has(key)) family.series.delete(key);
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
    const registry = wantsOpenMetrics(accept) ? this.openMetrics : this.prometheus;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  private family(decl: MetricDecl): Family {
    const family = this.families.get(decl.name);
    if (!family || family.decl !== decl) throw new Error(`metric ${decl.name} is not registered`);
    return family;
  }
}

function newOpenMetricsRegistry(): client.Registry<client.OpenMetricsContentType> {
  const registry = new client.Registry<client.OpenMetricsContentType>();
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE as client.OpenMetricsContentType);
  return registry;
}

/** True when the Accept header prefers OpenMetrics over the Prometheus text format. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain' || type === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}
