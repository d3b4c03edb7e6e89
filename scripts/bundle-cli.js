// `npm run build`, second half: bundles the CLI (src/cli/main.ts and every module it loads lazily: the verbs and
// src/startup.ts's dependencies) with its npm dependencies into dist/cli/. Loading a few files instead of several
// hundred small modules is most of what `phoenix --help` and a no-op `phoenix plan` cost over bare Node.
// tsc's dist/src/ stays: it is the package's public entry (`import { defineConfig } from 'phoenix'`).
//
// Two passes, so that `--help` reads one file and never starts Node's ES module loader (10 ms): esbuild's code
// splitting would put every small module the CLI shares with the verbs (exit codes, Result, the typo finder...) in
// a chunk of its own, eleven ES module files in all.
//  1. main.ts alone, as CommonJS, every dynamic import left external: dist/cli/main.cjs, the CLI's static closure.
//  2. each module main.ts loads lazily as an entry, ES modules split into shared chunks: dist/cli/lazy/.
// The few modules both halves hold are thus loaded twice when a verb runs; that is only safe while they keep no
// state of their own, which test/architecture.test.ts holds (module-level `let`, classes, `new` at the top).
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

// Pass 1: main.ts's static closure; each dynamic import is collected and left to pass 2. CommonJS has no
// `import.meta`: esbuild warns where a module would need it, and a warning fails the build.
const lazy = new Map(); // entry name -> source path or package
const cli = await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: join(outdir, 'main.cjs'),
  format: 'cjs',
  banner: {}, // require, __filename and __dirname are CommonJS's own
  plugins: [
    ...common.plugins,
    {
      name: 'lazy-external',
      setup(b) {
        b.onResolve({ filter: /.*/ }, async (args) => {
          if (args.kind !== 'dynamic-import' || common.external.includes(args.path)) return undefined;
          const found = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
          if (found.errors.length > 0) return { errors: found.errors };
          const { name, input } = lazyEntry(found.path, args.path);
          lazy.set(name, input);
          return { path: `./lazy/${name}.js`, external: true };
        });
      },
    },
  ],
});
if (cli.warnings.length > 0) throw new Error('the CLI entry must bundle as CommonJS without warnings');

// Pass 2: the lazily loaded modules, with the code they share in chunks. Their own dynamic imports of each other
// (a verb loading validation through src/startup.ts) land on these same entries, so each loads once.
await build({
  ...common,
  entryPoints: [...lazy].map(([out, input]) => ({ out, in: input })),
  outdir: join(outdir, 'lazy'),
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
