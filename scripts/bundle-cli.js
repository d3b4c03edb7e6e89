// `npm run build`, second half: bundles the CLI (src/cli/main.ts and every module it loads lazily: the verbs and
// src/startup.ts's dependencies) with its npm dependencies into dist/cli/. Loading a few files instead of several
// hundred small modules is most of what `phoenix --help` and a no-op `phoenix plan` cost over bare Node.
// tsc's dist/src/ stays: it is the package's public entry (`import { defineConfig } from 'phoenix'`).
//
// Every file is a CommonJS script, run by src/cli/bundle-loader.ts (dist/cli/loader.cjs, which bin/phoenix.cjs
// calls) through V8's code cache; an ES module could not use one on Node 20, and a script compiled that way cannot
// call import(): each dynamic import becomes a require() (`dynamic-import: false`), and `import.meta` the script's
// own path. Three passes, one file per command (Node pays for every file it loads, and esbuild's code splitting
// made 28 files of a plan):
//  0. the loader alone: dist/cli/loader.cjs.
//  1. main.ts, every dynamic import left external: dist/cli/main.cjs, the CLI's static closure.
//  2. each module loaded lazily (the verbs, src/startup.ts's dependencies), bundled whole: dist/cli/lazy/, its own
//     dynamic imports left external in turn.
// A module two of these bundles hold is two instances when one process loads both (main.cjs and its verb; a verb
// and validation or the API transport); that is only safe while it keeps no state of its own, which
// test/architecture.test.ts holds against the built files. The price is disk: each verb holds its whole closure.
import { rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cliBundleOptions } from './bundle-options.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true }); // chunk names carry hashes: old ones would pile up

const common = { ...cliBundleOptions, absWorkingDir: root, logLevel: 'warning' };

/** A lazily loaded module's entry in dist/cli/lazy/: its path under src/ (or the package's name), and its input. */
function lazyEntry(resolved, specifier) {
  const src = join(root, 'src');
  if (!resolved.startsWith(src)) return { name: specifier, input: specifier };
  return { name: relative(src, resolved).replace(/\.ts$/, ''), input: resolved };
}

/**
 * Leaves each dynamic import external, as the lazily loaded entry it names: `found(name, input)` collects it, and
 * the import becomes a relative path from `fromDir` (the folder of the file being built) to that entry's file.
 */
function lazyExternal(fromDir, found) {
  return {
    name: 'lazy-external',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || common.external.includes(args.path)) return undefined;
        const resolved = await b.resolve(args.path, {
          kind: 'import-statement',
          resolveDir: args.resolveDir,
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const { name, input } = lazyEntry(resolved.path, args.path);
        found(name, input);
        const path = relative(fromDir, join(outdir, 'lazy', `${name}.cjs`));
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  };
}

/** One esbuild build; a warning fails it (an `import.meta` esbuild could not place would silently be `{}`). */
async function bundle(options) {
  const result = await build({ ...common, ...options });
  if (result.warnings.length > 0)
    throw new Error(`${options.outfile}: esbuild warned; fix the warning above`);
}

// Pass 0: the loader, which runs every other file.
await bundle({ entryPoints: ['src/cli/bundle-loader.ts'], outfile: join(outdir, 'loader.cjs') });

// Pass 1: main.ts's static closure; each dynamic import is collected and left to pass 2.
const queue = []; // [entry name, source path or package]
await bundle({
  entryPoints: ['src/cli/main.ts'],
  outfile: join(outdir, 'main.cjs'),
  plugins: [lazyExternal(outdir, (name, input) => queue.push([name, input]))],
});

// Pass 2: each lazily loaded module bundled whole into one file, its own dynamic imports (a verb loading validation
// through src/startup.ts) left external in turn, until every entry is built.
const built = new Set();
while (queue.length > 0) {
  const wave = queue.splice(0).filter(([name]) => !built.has(name) && built.add(name));
  await Promise.all(
    wave.map(([name, input]) => {
      const outfile = join(outdir, 'lazy', `${name}.cjs`);
      return bundle({
        entryPoints: [input],
        outfile,
        plugins: [lazyExternal(dirname(outfile), (n, i) => queue.push([n, i]))],
      });
    }),
  );
}
