// Writes everything derived from the probe kinds' declarations (npm run docs): the README's
// Checks, Metrics and Environment tables, each probe folder's README tables and example.yaml
// ladder defaults, config/vigil.example.yaml (its probes: part is the folders' example.yaml)
// and config/vigil.schema.json. test/docs.test.ts fails
// when a committed file differs from what this script makes of the code.
//
// Generated parts of a Markdown file sit between two markers, the rest is written by hand:
//   <!-- generated:checks (npm run docs) -->
//   …
//   <!-- end generated:checks -->
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describeThresholds, ladder } from '../src/checks/levels.ts';
import type { CheckDecl, LadderSpec } from '../src/checks/types.ts';
import { OTHER_ENV } from '../src/cli.ts';
import { commonProbeFields } from '../src/config/common.ts';
import { ENV_OVERRIDES } from '../src/config/load.ts';
import { configJsonSchema } from '../src/config/schema.ts';
import { accessLogSuppressed, connectionsDropped, requestsRejected } from '../src/http/http-metrics.ts';
import { CORE_METRICS } from '../src/metrics/core.ts';
import { RUNTIME_METRICS } from '../src/metrics/runtime.ts';
import type { ProbeKind, ProbeSection } from '../src/probes/kind.ts';
import { PROBE_KINDS } from '../src/probes/registry.ts';
import { PROBE_SECTIONS } from '../src/probes/sections.ts';
import { exportFailures, queuedSpans, spansDropped, spansExported, tracingEnabled } from '../src/telemetry/metrics.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface DocMetric {
  readonly name: string;
  readonly help: string;
  readonly kind: string;
  readonly labels: readonly string[];
  readonly optionalLabels?: readonly string[];
}

/** The agent's own metrics, before the probe kinds' (HTTP server and trace pipeline included). */
const AGENT_METRICS: readonly DocMetric[] = [
  ...CORE_METRICS,
  requestsRejected,
  connectionsDropped,
  accessLogSuppressed,
  tracingEnabled,
  spansExported,
  spansDropped,
  exportFailures,
  queuedSpans,
];

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (text: string) => `\`${text}\``;
const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

/** The ladder as it stands with no configuration: only the levels that have a default. */
function defaultLadder(spec: LadderSpec) {
  return ladder(
    spec.direction,
    ...spec.levels.filter((l) => l.default !== undefined).map((l) => ({ status: l.status, at: l.default as number, severity: l.severity })),
  );
}

function thresholdsText(check: CheckDecl): string {
  if (check.ladder) {
    const levels = defaultLadder(check.ladder);
    return levels.levels.length ? describeThresholds(levels) : 'off unless set';
  }
  return check.judgedBy ?? '—';
}

function severitiesText(check: CheckDecl): string {
  if (check.severities) return check.severities.join(', ');
  if (check.ladder) {
    const withDefault = check.ladder.levels.filter((l) => l.default !== undefined);
    return (withDefault.length ? withDefault : check.ladder.levels).map((l) => l.severity).join(', ');
  }
  return check.failSeverity;
}

/** Each check or metric once: a shared one (`tls:expiry`) is declared by every kind that reports it. */
function uniqueByName<T>(items: readonly T[], name: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(name(item)) && !!seen.add(name(item)));
}

export function checksTable(kinds: readonly ProbeKind[]): string {
  const rows = uniqueByName(
    kinds.flatMap((kind) => kind.checks),
    (c) => c.id,
  ).map((c) => [code(c.id), cell(c.component), cell(c.description), cell(thresholdsText(c)), severitiesText(c), c.playbook]);
  return table(['Check', 'Component', 'Observed', 'Thresholds (default)', 'Severity', 'Playbook'], rows);
}

function metricRows(metrics: readonly DocMetric[]): string[][] {
  return metrics.map((m) => [
    code(m.name),
    m.kind,
    m.labels.map(code).join(', ') + (m.optionalLabels?.length ? `; on cluster and sentinel members also ${m.optionalLabels.map(code).join(', ')}` : ''),
    cell(m.help),
  ]);
}

export function metricsTable(kinds: readonly ProbeKind[]): string {
  const all = uniqueByName([...AGENT_METRICS, ...kinds.flatMap((k) => k.metrics), ...RUNTIME_METRICS], (m) => m.name);
  return table(['Metric', 'Type', 'Labels', 'Meaning'], metricRows(all));
}

export function envTable(kinds: readonly ProbeKind[]): string {
  const rows = [
    ...OTHER_ENV.slice(0, 1).map((e) => [code(e.names), e.overrides, e.help]),
    ...ENV_OVERRIDES.map((o) => [code(o.env), code(o.path.join('.')), o.help]),
    ...kinds.flatMap((k) => k.env.map((e) => [code(e.name), `adds \`probes.${k.key}\` targets`, cell(e.help)])),
    ...OTHER_ENV.slice(1).map((e) => [
      e.names
        .split(', ')
        .map((n) => (n.includes('`') ? n : code(n)))
        .join(', '),
      e.overrides,
      e.help,
    ]),
  ];
  return table(['Environment', 'Overrides', ''], rows);
}

type JsonSchema = { description?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[] };

const COMMON_KEYS = new Set(Object.keys(commonProbeFields));

/**
 * One row per documented key of a kind's section, nested keys dotted (`thresholds.memory`) and
 * target keys under `targets[]`. A ladder's own warn/fail keys are not listed: its row says them.
 */
function configRows(schema: JsonSchema, prefix = '', section?: JsonSchema): string[][] {
  const rows: string[][] = [];
  let overrides = false;
  for (const [key, value] of Object.entries(schema.properties ?? {})) {
    if (COMMON_KEYS.has(key)) continue;
    const path = `${prefix}${key}`;
    // A target key that is also a section key overrides it: one row says so for all of them.
    if (section?.properties?.[key] && JSON.stringify(section.properties[key]) === JSON.stringify(value)) {
      overrides = true;
      continue;
    }
    const items = value.items ?? value.anyOf?.find((s) => s.items)?.items;
    const object = value.properties ? value : value.anyOf?.find((s) => s.properties);
    const described = value.description ?? object?.description;
    if (described) rows.push([code(path), cell(described)]);
    if (items?.properties) rows.push(...configRows(items, `${path}[].`, schema));
    else if (object?.properties && Object.values(object.properties).some((p) => p.description)) rows.push(...configRows(object, `${path}.`));
  }
  if (overrides) rows.push([`\`${prefix}…\``, "any section key above (but `targets`): this target's own value, over the section's"]);
  return rows;
}

export function kindConfigTable(section: ProbeSection): string {
  const schema = z.toJSONSchema(section.schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return table(['key', 'meaning'], configRows(schema));
}

export function kindChecksTable(kind: ProbeKind): string {
  const rows = kind.checks.map((c) => [
    code(c.id),
    cell(c.component),
    c.componentType,
    c.unit,
    cell(c.description),
    cell(thresholdsText(c)),
    severitiesText(c),
    c.playbook,
  ]);
  return table(['check', 'componentId', 'componentType', 'unit', 'observedValue', 'thresholds (default)', 'severity', 'playbook'], rows);
}

export function kindMetricsTable(kind: ProbeKind): string {
  return table(['metric', 'type', 'labels', 'meaning'], metricRows(kind.metrics));
}

/** Replaces the text between the markers of `block`; a missing block is an error, not a silent skip. */
export function replaceBlock(text: string, block: string, content: string, file: string): string {
  const begin = `<!-- generated:${block} (npm run docs) -->`;
  const end = `<!-- end generated:${block} -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: markers of the generated block "${block}" are missing`);
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`;
}

/** `{ warn: 70, high: 85, fail: 95 }`: a ladder's defaults as the example config writes them. */
function flowMap(spec: LadderSpec): string {
  const set = spec.levels.filter((l) => l.default !== undefined).map((l) => `${l.key}: ${l.default}`);
  return `{ ${set.join(', ')} }`;
}

/**
 * A kind's example.yaml with the default of every ladder rewritten from the declaration: the
 * line `<key>: { … }` (the last segment of the ladder's config path), commented out or not.
 */
export function kindExample(text: string, kind: ProbeKind, file: string): string {
  const lines = text.split('\n');
  for (const check of kind.checks) {
    if (!check.ladder) continue;
    const key = check.ladder.config.split('.').at(-1) as string;
    const pattern = new RegExp(`^(\\s*#?\\s*${key}: )\\{[^}]*\\}`);
    const at = lines.findIndex((l) => pattern.test(l));
    if (at < 0) throw new Error(`${file} does not show ${check.ladder.config} (${check.id})`);
    // A ladder off by default shows a sample value, which is the example's to choose.
    if (check.ladder.levels.every((l) => l.default === undefined)) continue;
    const line = lines[at] as string;
    const [whole, head] = line.match(pattern) as RegExpMatchArray;
    const comment = line.slice(whole.length).trimStart();
    const value = `${head}${flowMap(check.ladder)}`;
    // The trailing comment stays in its column when there is room.
    const column = Math.max(line.length - comment.length, value.length + 2);
    lines[at] = comment ? value.padEnd(column) + comment : value;
  }
  return lines.join('\n');
}

/** config/vigil.example.yaml: its hand-written settings, then every kind's example under `probes:`. */
export function exampleConfig(text: string, examples: readonly string[]): string {
  const begin = "# generated:probes (npm run docs: each probe folder's example.yaml) #";
  const end = '# end generated:probes #';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error('config/vigil.example.yaml: markers of the generated probes block are missing');
  const indented = examples.map((e) =>
    e
      .trimEnd()
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n'),
  );
  return `${text.slice(0, from + begin.length)}\n${indented.join('\n\n')}\n${text.slice(to)}`;
}

/** Every generated file: path relative to the repository, and its content. */
export function generatedFiles(kinds: readonly ProbeKind[] = PROBE_KINDS, sections: readonly ProbeSection[] = PROBE_SECTIONS): Map<string, string> {
  const sectionOf = (key: string) => sections.find((s) => s.key === key) as ProbeSection;
  const out = new Map<string, string>();
  const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');
  let readme = read('README.md');
  readme = replaceBlock(readme, 'checks', checksTable(kinds), 'README.md');
  readme = replaceBlock(readme, 'metrics', metricsTable(kinds), 'README.md');
  readme = replaceBlock(readme, 'environment', envTable(kinds), 'README.md');
  out.set('README.md', readme);
  for (const kind of kinds) {
    const path = `src/probes/${kind.key}/README.md`;
    let text = read(path);
    text = replaceBlock(text, 'config', kindConfigTable(sectionOf(kind.key)), path);
    text = replaceBlock(text, 'checks', kindChecksTable(kind), path);
    text = replaceBlock(text, 'metrics', kindMetricsTable(kind), path);
    out.set(path, text);
  }
  const examples: string[] = [];
  for (const kind of kinds) {
    const path = `src/probes/${kind.key}/example.yaml`;
    const example = kindExample(read(path), kind, path);
    out.set(path, example);
    examples.push(example);
  }
  out.set('config/vigil.example.yaml', exampleConfig(read('config/vigil.example.yaml'), examples));
  out.set('config/vigil.schema.json', `${JSON.stringify(configJsonSchema(sections), null, 2)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [path, content] of generatedFiles()) {
    const before = readFileSync(`${ROOT}${path}`, 'utf8');
    if (before === content) continue;
    writeFileSync(`${ROOT}${path}`, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
