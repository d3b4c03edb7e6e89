// The structure the README promises, drawn from the imports: one engine below a thin CLI, no import circles, one
// module that spawns processes, lazy loading in three named places, and a design map that names every folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { DirectedGraph } from 'graphology';
import { describe, expect, it } from 'vitest';
import { findCycles } from '../src/graph/dag.js';

const ROOT = resolve(import.meta.dirname, '..');

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return filesUnder(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

const SOURCES = filesUnder('src');
const text = new Map(SOURCES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));

/** Every module specifier a file names: static imports and re-exports, type-only ones and dynamic imports too. */
function specifiers(source: string, dynamic = true): string[] {
  const found = [
    ...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms),
    ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...(dynamic ? source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g) : []),
  ];
  return found.map((m) => m[1]!);
}

/** Relative imports resolved to the source files they name (`dynamic`: with the lazy `import()`s). */
function localImports(file: string, dynamic = true): string[] {
  return specifiers(text.get(file)!, dynamic)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s.replace(/\.js$/, '.ts'))));
}

describe('the structure of src/', () => {
  it('has no module outside src/cli importing the CLI', () => {
    const offenders = SOURCES.filter((f) => !f.startsWith('src/cli/')).flatMap((f) =>
      localImports(f)
        .filter((i) => i.startsWith('src/cli/'))
        .map((i) => `${f} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it('has no import circles', () => {
    // Static imports only: a lazy import() runs after every module it could lead back to has loaded (src/startup.ts
    // loads the API transport, which reaches host/exec.ts, which loads execa through src/startup.ts).
    const graph = new DirectedGraph();
    for (const f of SOURCES) graph.mergeNode(f);
    for (const f of SOURCES)
      for (const i of localImports(f, false)) if (graph.hasNode(i)) graph.mergeEdge(f, i);
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('loads code lazily in three places only: the verbs, the start-up tricks, the user config module', () => {
    const lazy = SOURCES.filter((f) => /\bimport\(/.test(text.get(f)!));
    expect(lazy.sort()).toEqual(['src/cli/verbs.ts', 'src/config/module-loader.ts', 'src/startup.ts']);
  });

  it('spawns processes from src/host/exec.ts only', () => {
    const spawners = SOURCES.filter((f) =>
      specifiers(text.get(f)!).some(
        (s) => s === 'execa' || s === 'node:child_process' || s === 'child_process',
      ),
    );
    // execa is loaded lazily (src/startup.ts names it, nothing else does) and called by host/exec.ts alone.
    expect(spawners).toEqual(['src/startup.ts']);
    expect(SOURCES.filter((f) => /\bloadExeca\b/.test(text.get(f)!)).sort()).toEqual([
      'src/host/exec.ts',
      'src/startup.ts',
    ]);
  });

  it('orders the graph with graphology-dag', () => {
    const users = SOURCES.filter((f) => specifiers(text.get(f)!).includes('graphology-dag'));
    expect(users).toEqual(['src/graph/dag.ts']);
  });

  it('names every folder of src/ and simulator/src/ in the README design map', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const folders = ['src', 'simulator/src'].flatMap((top) =>
      readdirSync(join(ROOT, top))
        .filter((n) => statSync(join(ROOT, top, n)).isDirectory())
        .map((n) => `${top}/${n}`),
    );
    expect(folders.filter((f) => !readme.includes(`\`${f}\``))).toEqual([]);
  });

  it("keeps no module state in the CLI's static closure, which the bundle loads twice", () => {
    // scripts/bundle-cli.js puts main.ts's static closure whole into dist/cli/main.cjs and the verbs, split, beside
    // it: a module both need is then two instances, which is only the same module while it holds no state.
    const closure = new Set<string>();
    const visit = (f: string) => {
      if (closure.has(f)) return;
      closure.add(f);
      localImports(f, false).forEach(visit);
    };
    visit('src/cli/main.ts');
    // Only modules outside src/cli are shared: nothing else imports the CLI (the first test).
    const shared = [...closure].filter((f) => !f.startsWith('src/cli/'));
    const stateful = shared.filter((f) =>
      /^(?:export )?(?:let|var|class)\b|^(?:export )?const \w+ = new /m.test(text.get(f)!),
    );
    expect(shared.length).toBeGreaterThan(5);
    expect(stateful).toEqual([]);
  });
});

describe('the bundled CLI (dist/cli, built by npm test)', () => {
  it('never imports node:process, whose ESM facade opens stdin, stdout and stderr at start-up', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : /\.c?js$/.test(e.name) ? [join(dir, e.name)] : [],
      );
    const all = files(join(ROOT, 'dist', 'cli'));
    expect(all.length).toBeGreaterThan(10);
    const importers = all.filter((f) => /\bfrom\s*["'](?:node:)?process["']/.test(readFileSync(f, 'utf8')));
    expect(importers.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
