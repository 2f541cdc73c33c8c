import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The import structure of src/ (DESIGN.md, "A tree that shows the architecture"): no import cycles, and every
 * import points down the layers http → interactions → services → search/store → fhir/vocabulary. Reads the
 * TypeScript sources, so it checks type-only imports too.
 */

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

/** Layer of each top-level folder or file of src/; an import must go to a strictly lower layer or stay in its folder. */
const LAYERS: Record<string, number> = {
  'main.ts': 9, cli: 9,
  'app.ts': 8,
  http: 7, capability: 7,
  interactions: 6,
  auth: 5, audit: 5,
  services: 4, workers: 4,
  search: 3, store: 3, validation: 3,
  fhir: 1, 'config.ts': 1, logging: 1, sample: 1,
  vocabulary: 0, apps: 0,
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(full);
    return d.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The files of src/ each file imports (relative imports only), as paths relative to src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec || !spec.startsWith('.')) continue;
      const resolved = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      targets.push(path.relative(SRC, resolved));
    }
    graph.set(path.relative(SRC, file), targets);
  }
  return graph;
}

/** One cycle of the graph as a list of files, or undefined (depth-first search with colours). */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const colour = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    colour.set(node, 'grey');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (colour.get(next) === 'grey') return [...stack.slice(stack.indexOf(next)), next];
      if (!colour.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    colour.set(node, 'black');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (colour.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

const top = (file: string): string => file.split(path.sep)[0]!;

test('the import graph of src/ is read (a sanity check on the parser)', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `only ${graph.size} files found under ${SRC}`);
  assert.ok(graph.get(path.join('interactions', 'table.ts'))?.includes(path.join('interactions', 'read.ts')));
  assert.ok(graph.get('app.ts')?.includes(path.join('vocabulary', 'access.ts')), 'type-only imports are counted');
});

test('src/ has no import cycles', () => {
  const cycle = findCycle(importGraph());
  assert.equal(cycle, undefined, `import cycle: ${cycle?.join(' -> ')}`);
});

test('every import in src/ points down the layers or stays in its folder', () => {
  const wrong: string[] = [];
  for (const [file, targets] of importGraph()) {
    const from = top(file);
    assert.ok(from in LAYERS, `${file} is in a folder the layer list does not know: add it to LAYERS`);
    for (const target of targets) {
      const to = top(target);
      if (to === from) continue;
      if (!(to in LAYERS) || LAYERS[to]! >= LAYERS[from]!) wrong.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the cycle finder finds a cycle when there is one', () => {
  const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(findCycle(graph), ['a', 'b', 'c', 'a']);
  assert.equal(findCycle(new Map([['a', ['b']], ['b', []]])), undefined);
});
