// The structure the README promises, drawn from the imports: one engine below a thin CLI, no import circles, one
// module that spawns processes, lazy loading in two named places, and a design map that names every folder.
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

  it('loads code lazily in two places only: the verbs and the start-up tricks', () => {
    // (The user's config module is compiled to a CommonJS script and run by src/commonjs.ts, as the CLI's bundles.)
    const lazy = SOURCES.filter((f) => /\bimport\(/.test(text.get(f)!));
    expect(lazy.sort()).toEqual(['src/cli/verbs.ts', 'src/startup.ts']);
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
});

describe('the bundled CLI (dist/cli, built by npm test)', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : /\.c?js$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  const all = files(join(ROOT, 'dist', 'cli'));

  it('keeps no state in a module that two bundles of one process hold', () => {
    // scripts/bundle-cli.js bundles main.cjs and each lazily loaded entry whole: a module that main.cjs, the one verb
    // a process runs and the other entries it loads (validation, the cache schema, the API transport...) both hold
    // is then two instances, which is only the same module while it keeps no state and no class of its is checked
    // with instanceof elsewhere. esbuild starts each module's code with a `// src/...` line.
    const groups = new Map<string, Set<string>>(); // module -> the bundles holding it, all verbs as one
    for (const f of all) {
      const rel = relative(join(ROOT, 'dist', 'cli'), f);
      const group = rel.startsWith('lazy/engine/verbs/') ? 'a verb' : rel;
      for (const m of readFileSync(f, 'utf8').matchAll(/^\/\/ (src\/\S+\.ts)$/gm))
        groups.set(m[1]!, (groups.get(m[1]!) ?? new Set()).add(group));
    }
    const shared = [...groups].filter(([, g]) => g.size > 1).map(([m]) => m);
    expect(shared).toContain('src/result.ts'); // main.cjs and every verb
    const stateful = shared.filter((f) =>
      /^(?:export )?(?:let|var)\b|^(?:export )?const \w+ = new (?!Set\(\[)/m.test(text.get(f)!),
    );
    expect(stateful).toEqual([]);
    const classes = shared.flatMap((f) =>
      [...text.get(f)!.matchAll(/^export class (\w+)/gm)].map((m): [string, string] => [f, m[1]!]),
    );
    // A class may be checked in another module only when every bundle holding one holds the other: then each copy
    // of the check meets objects of its own bundle's copy of the class (client.ts and tls.ts's PinMismatchError).
    const holders = (f: string) => [...(groups.get(f) ?? [])].sort().join(' ');
    const checkedElsewhere = classes.filter(([f, name]) =>
      SOURCES.some(
        (other) =>
          other !== f &&
          new RegExp(`instanceof ${name}\\b`).test(text.get(other)!) &&
          holders(other) !== holders(f),
      ),
    );
    expect(checkedElsewhere).toEqual([]);
  });

  it("is CommonJS scripts only, with no dynamic import: src/cli/bundle-loader.ts runs them from V8's code cache", () => {
    // Code compiled by vm.Script cannot load an ES module dynamically on Node 20 (it throws at the call, only when
    // the blob was used); scripts/bundle-cli.js turns each one into a require().
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((f) => !f.endsWith('.cjs')).map((f) => relative(ROOT, f))).toEqual([]);
    // Strict code, as the ES modules it was written as: the directive must come first.
    const sloppy = all.filter((f) => !readFileSync(f, 'utf8').startsWith('"use strict";'));
    expect(sloppy.map((f) => relative(ROOT, f))).toEqual([]);
    // `import(` where an expression starts (not a method named import), or an import/export statement; in code,
    // not in the doc comments of bundled packages (undici's JSDoc types).
    const code = (f: string) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(?:\*|\/\/)/.test(line));
    const esm = all.filter((f) =>
      code(f).some((line) =>
        /(?:[=(,:!&|?]|\breturn|\bawait|=>)\s*import\s*\(|^\s*(?:import|export)\s[^;]*\bfrom\s*["']/.test(
          line,
        ),
      ),
    );
    expect(esm.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
