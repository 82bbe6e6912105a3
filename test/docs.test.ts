// Everything derived from the probe kinds' declarations is current: README tables, the probe
// folders' READMEs, the example config's defaults, the JSON Schema (npm run docs rewrites them),
// and --help names every environment variable a kind reads.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { generatedFiles, replaceBlock, ROOT } from '../scripts/write-docs.ts';
import { helpText } from '../src/cli.ts';
import { ENV_OVERRIDES } from '../src/config/load.ts';
import { PROBE_KINDS } from '../src/probes/registry.ts';

t.test('generated files are current (npm run docs)', async (t) => {
  for (const [path, expected] of generatedFiles()) {
    t.equal(readFileSync(`${ROOT}${path}`, 'utf8'), expected, `${path} is stale: run npm run docs`);
  }
});

t.test('README tables list every check and metric a kind declares', async (t) => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  for (const kind of PROBE_KINDS) {
    for (const check of kind.checks) t.match(readme, `| \`${check.id}\` |`, check.id);
    for (const metric of kind.metrics) t.match(readme, `| \`${metric.name}\` |`, metric.name);
  }
});

t.test('--help lists every environment variable', async (t) => {
  const help = helpText(PROBE_KINDS);
  for (const name of [...ENV_OVERRIDES.map((o) => o.env), ...PROBE_KINDS.flatMap((k) => k.env.map((e) => e.name))]) t.match(help, `  ${name} `, name);
  t.match(help, 'VIGIL_POSTGRES_URL');
  t.match(help, 'VIGIL_REDIS_URL');
  t.match(help, 'VIGIL_KAFKA_BROKERS');
});

t.test("every ladder's config path exists in its kind's schema, with the declared defaults", async (t) => {
  for (const kind of PROBE_KINDS) {
    type Node = { properties?: Record<string, Node>; description?: string };
    const schema = z.toJSONSchema((await kind.config()).schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Node;
    for (const check of kind.checks) {
      if (!check.ladder) continue;
      let node: Node | undefined = schema;
      for (const key of check.ladder.config.split('.')) node = node?.properties?.[key];
      t.ok(node, `probes.${kind.key}.${check.ladder.config} exists (${check.id})`);
      for (const level of check.ladder.levels) {
        t.ok(node?.properties?.[level.key], `${check.ladder.config}.${level.key} is accepted`);
        const text =
          level.default === undefined ? `${level.key} (${level.severity}, off unless set)` : `${level.key} (${level.severity}, default ${level.default})`;
        t.match(node?.description ?? '', text, `${check.ladder.config} describes ${level.key}`);
      }
    }
  }
});

t.test('a generated block without its markers is an error naming the file', async (t) => {
  t.throws(() => replaceBlock('no markers here', 'checks', 'x', 'README.md'), /README.md: markers of the generated block "checks" are missing/);
  t.equal(
    replaceBlock('a\n<!-- generated:b (npm run docs) -->\nold\n<!-- end generated:b -->\nz', 'b', 'new', 'f'),
    'a\n<!-- generated:b (npm run docs) -->\nnew\n<!-- end generated:b -->\nz',
  );
});
