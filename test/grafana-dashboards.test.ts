// The shipped Grafana dashboards: valid against the JSON Schema of @grafana/schema's Dashboard
// type, not stale against their generator, and built the way on-call users need (every panel
// has a unit, a Prometheus query on the dashboard's datasource and the dashboard's variables).
// That every query returns data is test/consumers.integration.test.ts's job (live Prometheus).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { DASHBOARDS, dashboardText, GRAFANA_DIR } from '../scripts/write-dashboards.ts';
import { grafanaDashboardSchema, SCHEMA_FILE } from '../scripts/write-grafana-schema.ts';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  fieldConfig?: { defaults: { unit?: string; thresholds?: { steps: { value: number | null }[] } } };
  targets?: { expr: string; datasource: { uid: string } }[];
}

// Grafana's own variable syntax, expanded at import: the literal text is what a panel must carry.
// biome-ignore lint/suspicious/noTemplateCurlyInString: not a JavaScript template
const DATASOURCE_VARIABLE = '${datasource}';
const schemaText = readFileSync(SCHEMA_FILE, 'utf8');

t.test('the committed schema is what @grafana/schema gives today', async (t) => {
  t.equal(schemaText, grafanaDashboardSchema(), 'run `npm run grafana-schema`');
});

t.test('each dashboard is the generator output and validates against the Dashboard schema', async (t) => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(schemaText));
  for (const file of Object.keys(DASHBOARDS)) {
    const text = readFileSync(`${GRAFANA_DIR}${file}`, 'utf8');
    t.equal(text, dashboardText(file), `${file} is current (run \`npm run dashboards\`)`);
    const doc = JSON.parse(text);
    t.ok(validate(doc), `${file} validates`) || t.comment(JSON.stringify(validate.errors?.slice(0, 5), null, 1));
    // A typo in a field name must fail, not pass silently.
    t.notOk(validate({ ...doc, panels: [{ ...doc.panels[1], gridpos: doc.panels[1].gridPos }] }), `${file}: an unknown panel key is rejected`);
  }
});

t.test('every panel has a unit, queries on the dashboard datasource and uses the variables', async (t) => {
  for (const file of Object.keys(DASHBOARDS)) {
    const doc = JSON.parse(readFileSync(`${GRAFANA_DIR}${file}`, 'utf8'));
    const vars = (doc.templating.list as { name: string }[]).map((v) => v.name);
    t.ok(vars.includes('datasource') && vars.includes('node'), `${file}: datasource and node variables`);
    const panels = (doc.panels as Panel[]).filter((p) => p.type !== 'row');
    t.ok(panels.length >= 4, `${file}: ${panels.length} panels`);
    for (const p of panels) {
      t.ok(p.fieldConfig?.defaults.unit, `${file} / ${p.title}: unit`);
      t.equal(p.datasource?.uid, DATASOURCE_VARIABLE, `${file} / ${p.title}: datasource variable`);
      t.ok(p.targets?.length, `${file} / ${p.title}: has queries`);
      for (const target of p.targets ?? []) {
        t.match(target.expr, /node=~"\$node"/, `${file} / ${p.title}: filters by $node`);
        t.equal(target.datasource.uid, DATASOURCE_VARIABLE);
      }
    }
  }
});

t.test('thresholds sit at the runbook levels', async (t) => {
  const levels = (file: string, title: string) => {
    const doc = JSON.parse(readFileSync(`${GRAFANA_DIR}${file}`, 'utf8'));
    const p = (doc.panels as Panel[]).find((x) => x.title === title);
    return p?.fieldConfig?.defaults.thresholds?.steps.map((s) => s.value);
  };
  t.same(levels('node.json', 'Disk space used per mount'), [null, 0.7, 0.95]);
  t.same(levels('node.json', 'Host memory used'), [null, 0.8, 0.9]);
  t.same(levels('node.json', 'Host CPU busy'), [null, 0.75, 0.85]);
  t.same(levels('node.json', 'Container CPU throttling'), [null, 0.25]);
  t.same(levels('datastores.json', 'Connections used'), [null, 0.8, 0.9]);
  t.same(levels('datastores.json', 'Keyspace hit ratio'), [null, 0.5, 0.7], 'lower is worse: red below 50 %, yellow below 70 %');
  t.same(levels('kafka-consumer-lag.json', 'Lag (seconds)'), [null, 30, 60]);
  t.same(levels('kafka-consumer-lag.json', 'Lag (messages)'), [null, 1000]);
});
