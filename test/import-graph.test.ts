// src/ is layered: no top-level folder (or root file) imports one that imports it back, directly
// or through others. scripts/import-graph.ts prints the graph and any cycle.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cycleEdges, cycles, folderGraph, relativeImports } from '../scripts/import-graph.ts';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

t.test('no cycle between the top-level folders and root files of src/', async (t) => {
  const graph = folderGraph(SRC);
  t.ok(graph.has('probes/') && graph.has('config/') && graph.has('agent.ts'), 'the graph covers src/ (sanity)');
  t.same(
    cycles(graph).map((c) => cycleEdges(graph, c)),
    [],
  );
});

t.test('the graph sees static, type-only, side-effect and dynamic imports', async (t) => {
  t.same(
    relativeImports(
      [
        "import { a } from './a.ts';",
        "import type { B } from '../b/b.ts';",
        "import './c.ts';",
        "const d = await import('./d.ts');",
        "export { e } from './e.ts';",
        "import { z } from 'zod';",
      ].join('\n'),
    ),
    ['./a.ts', '../b/b.ts', './c.ts', './d.ts', './e.ts'],
  );
});

t.test('a cycle through a third folder is found and its edges listed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-import-graph-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('config/load.ts', "import type { Plan } from '../telemetry/plan.ts';\n");
  write('telemetry/plan.ts', "import { probeName } from '../probes/kafka/name.ts';\n");
  write('probes/kafka/name.ts', "import { duration } from '../../config/duration.ts';\n");
  write('config/duration.ts', 'export const duration = 1;\n');
  write('main.ts', "import './config/load.ts';\n");
  const graph = folderGraph(root);
  const found = cycles(graph);
  t.same(found, [['config/', 'probes/', 'telemetry/']]);
  t.same(cycleEdges(graph, found[0]!), ['config/ -> telemetry/', 'probes/ -> config/', 'telemetry/ -> probes/']);
});
