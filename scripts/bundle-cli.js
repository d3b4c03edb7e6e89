// `npm run build`, second half: bundles the CLI (src/cli/main.ts and every module it loads lazily: the verbs and
// src/startup.ts's dependencies) with its npm dependencies into dist/cli/. Loading a few files instead of several
// hundred small modules is most of what `phoenix --help` and a no-op `phoenix plan` cost over bare Node.
// tsc's dist/src/ stays: it is the package's public entry (`import { defineConfig } from 'phoenix'`).
//
// Two passes, one file per command: Node pays for every ES module file it loads (resolving, reading through its
// thread pool, compiling and linking it apart), about 0.8 ms each, and esbuild's code splitting made 28 files of a
// plan and eleven of `--help`. Measured: the plan verb's modules load in 1.68x a bare `node -e 0` as one file,
// 2.00x as chunks.
//  1. main.ts alone, as CommonJS (so `--help` never starts Node's ES module loader), every dynamic import left
//     external: dist/cli/main.cjs, the CLI's static closure.
//  2. each module loaded lazily (the verbs, src/startup.ts's dependencies), bundled whole: dist/cli/lazy/, its own
//     dynamic imports left external in turn.
// A module two of these bundles hold is two instances when one process loads both (main.cjs and its verb; a verb
// and validation or the API transport); that is only safe while it keeps no state of its own, which
// test/architecture.test.ts holds against the built files. The price is disk: each verb holds its whole closure.
import { rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true }); // chunk names carry hashes: old ones would pile up

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Prefer a package's ESM build: jsonc-parser's `main` is a UMD build whose require() calls esbuild cannot follow.
  mainFields: ['module', 'main'],
  // esbuild is a native binary it loads at run time. cosmiconfig's own TypeScript loader is never used (ours
  // compiles with esbuild), so the compiler it would require stays out of the bundle.
  external: ['esbuild', 'typescript'],
  // CommonJS dependencies call require() for Node's own modules (graphology, proper-lockfile, cosmiconfig), and
  // write-file-atomic seeds its temp names with __filename.
  banner: {
    js: [
      "import { createRequire as __phoenixCreateRequire } from 'node:module';",
      'const require = __phoenixCreateRequire(import.meta.url);',
      'const __filename = import.meta.filename;',
      'const __dirname = import.meta.dirname;',
    ].join(' '),
  },
  logLevel: 'warning',
  plugins: [nodeProcessGlobal()],
};

/**
 * `import process from 'node:process'` (env-paths, execa, log-update) makes Node build the module's ESM facade,
 * which reads every property of `process`, and so opens stdin, stdout and stderr as streams at start-up (5 ms, more
 * on a terminal). The bundle reads the global `process` instead: the same object.
 */
function nodeProcessGlobal() {
  return {
    name: 'node-process-global',
    setup(b) {
      b.onResolve({ filter: /^(node:)?process$/ }, () => ({ path: 'process', namespace: 'process-global' }));
      b.onLoad({ filter: /.*/, namespace: 'process-global' }, () => ({
        contents: 'module.exports = process;',
      }));
    },
  };
}

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
        const path = relative(fromDir, join(outdir, 'lazy', `${name}.js`));
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  };
}

// Pass 1: main.ts's static closure; each dynamic import is collected and left to pass 2. CommonJS has no
// `import.meta`: esbuild warns where a module would need it, and a warning fails the build.
const queue = []; // [entry name, source path or package]
const cli = await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: join(outdir, 'main.cjs'),
  format: 'cjs',
  banner: {}, // require, __filename and __dirname are CommonJS's own
  plugins: [...common.plugins, lazyExternal(outdir, (name, input) => queue.push([name, input]))],
});
if (cli.warnings.length > 0) throw new Error('the CLI entry must bundle as CommonJS without warnings');

// Pass 2: each lazily loaded module bundled whole into one file, its own dynamic imports (a verb loading validation
// through src/startup.ts) left external in turn, until every entry is built.
const built = new Set();
while (queue.length > 0) {
  const wave = queue.splice(0).filter(([name]) => !built.has(name) && built.add(name));
  await Promise.all(
    wave.map(([name, input]) => {
      const outfile = join(outdir, 'lazy', `${name}.js`);
      return build({
        ...common,
        entryPoints: [input],
        outfile,
        plugins: [...common.plugins, lazyExternal(dirname(outfile), (n, i) => queue.push([n, i]))],
      });
    }),
  );
}
