// Folder-level import graph of src/ (node scripts/import-graph.ts): prints each edge between
// top-level folders and every cycle among them. Folders under src/ are nodes (probes/<kind> counts as
// probes); each src/*.ts file at the root is its own node. Exits 1 when a cycle exists.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm;

export type FolderGraph = Map<string, Set<string>>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The graph node a file under src/ belongs to: its top-level folder, or the file itself at the root. */
export function nodeOf(srcRoot: string, file: string): string {
  const parts = relative(srcRoot, file).split(sep);
  return parts.length === 1 ? parts[0]! : `${parts[0]}/`;
}

/** Imports of one source text that point inside the project (relative specifiers only). */
export function relativeImports(text: string): string[] {
  return [...text.matchAll(IMPORT_PATTERN)].map((m) => m[1]!).filter((s) => s.startsWith('.'));
}

export function folderGraph(srcRoot: string): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const file of sourceFiles(srcRoot)) {
    const from = nodeOf(srcRoot, file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), specifier);
      if (relative(srcRoot, target).startsWith('..')) continue;
      const to = nodeOf(srcRoot, target);
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Strongly connected components with more than one node (Tarjan), each sorted, in a stable order. */
export function cycles(graph: FolderGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** Edges of the graph that lie inside a cycle: the imports to untangle. */
export function cycleEdges(graph: FolderGraph, component: string[]): string[] {
  const members = new Set(component);
  return component.flatMap((from) =>
    [...(graph.get(from) ?? [])]
      .filter((to) => members.has(to))
      .sort()
      .map((to) => `${from} -> ${to}`),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcRoot = fileURLToPath(new URL('../src', import.meta.url));
  const graph = folderGraph(srcRoot);
  for (const [from, edges] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    process.stdout.write(`${from} -> ${[...edges].sort().join(', ') || '(none)'}\n`);
  }
  const found = cycles(graph);
  for (const component of found) process.stdout.write(`cycle: ${cycleEdges(graph, component).join('; ')}\n`);
  process.exitCode = found.length > 0 ? 1 : 0;
}
