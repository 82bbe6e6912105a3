// deploy/logging/index-template*.json are what scripts/write-index-template.ts makes of the log
// line schema: a field added to the schema without regenerating fails here. The live check
// (template applied, documents accepted, queries) is test/logging.integration.test.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { indexTemplate, SCHEMA_FILE, TEMPLATE_FILE, templateText } from '../scripts/write-index-template.ts';

t.test('the committed templates are current', async (t) => {
  t.equal(readFileSync(TEMPLATE_FILE, 'utf8'), templateText(), 'index-template.json (run `npm run index-template`)');
  t.equal(readFileSync(TEMPLATE_FILE.replace(/\.json$/, '.elasticsearch.json'), 'utf8'), templateText('flattened'), 'index-template.elasticsearch.json');
});

t.test('every schema field is mapped with the type searches need', async (t) => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { properties: Record<string, unknown> };
  const props = (indexTemplate() as { template: { mappings: { dynamic: boolean; properties: Record<string, { type: string }> } } }).template.mappings;
  t.same(
    Object.keys(schema.properties).filter((k) => !(k in props.properties)),
    [],
    'no schema field left to dynamic mapping',
  );
  t.equal(props.dynamic, false, 'unknown top-level fields are not mapped');
  t.equal(props.properties.timestamp?.type, 'date');
  t.equal(props.properties['@timestamp']?.type, 'date');
  for (const k of ['level', 'service', 'component', 'trace_id', 'span_id', 'request_id', 'severity_label']) t.equal(props.properties[k]?.type, 'keyword', k);
  t.equal(props.properties.duration_ms?.type, 'double');
  t.equal(props.properties.status?.type, 'integer');
  t.equal(props.properties.message?.type, 'text');
  t.equal(props.properties.details?.type, 'flat_object');
  t.equal(
    (indexTemplate('flattened') as { template: { mappings: { properties: Record<string, { type: string }> } } }).template.mappings.properties.details?.type,
    'flattened',
  );
});
