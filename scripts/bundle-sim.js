// `npm run build`, last step: bundles each simulated tool's code path (simulator/src/run.ts plus that tool's
// command table, simulator/src/<tool>/index.ts or <tool>.ts, and every module they import) into one CommonJS file,
// dist/simulator/bin/<tool>.cjs, which simulator/bin/<tool> loads; proper-lockfile and write-file-atomic are
// bundled apart (see WRITE_DEPS). A simulated call is a whole Node start-up, and Phoenix makes hundreds of them:
// one file to resolve and compile instead of a dozen modules (and the other tools' code) is most of its cost
// over bare Node. tsc's dist/simulator/src/ stays: testing.js is imported by tests and the bench, and main.js is
// the launchers' fallback when only tsc has run.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'simulator', 'src');
const outdir = join(root, 'dist', 'simulator', 'bin');
rmSync(outdir, { recursive: true, force: true });

// Each tool's module and what it exports (the same table simulator/src/main.ts loads lazily).
const TOOLS = {
  pct: { module: 'pct/index.ts', commands: 'pctCommands' },
  qm: { module: 'qm/index.ts', commands: 'qmCommands', aliases: 'qmAliases' },
  pvesm: { module: 'pvesm.ts', commands: 'pvesmCommands' },
  pveam: { module: 'pveam.ts', commands: 'pveamCommands' },
  pvesh: { module: 'pvesh/index.ts', commands: 'pveshCommands' },
  // The stand-in for a script on the node (simulator/bin/phoenix-sim-script): records its argv, runs nothing.
  script: { module: 'script.ts', catchAll: 'scriptCommand' },
};

// Entry `sim-tool:<tool>` exports `main(tool, argv)`, the signature of dist/simulator/src/main.js's.
const toolEntries = {
  name: 'sim-tool-entries',
  setup(b) {
    b.onResolve({ filter: /^sim-tool:/ }, (args) => ({ path: args.path.slice(9), namespace: 'sim-tool' }));
    b.onLoad({ filter: /.*/, namespace: 'sim-tool' }, (args) => {
      const t = TOOLS[args.path];
      const aliases = t.aliases ? `, aliases: m.${t.aliases}` : '';
      const table = t.catchAll ? `{}, catchAll: m.${t.catchAll}` : `m.${t.commands}`;
      return {
        resolveDir: src,
        loader: 'js',
        contents: [
          "import { runTool } from './run.ts';",
          `import * as m from './${t.module}';`,
          `const load = async () => ({ commands: ${table}${aliases} });`,
          'export const main = (tool, argv) => runTool(tool, argv, load);',
        ].join('\n'),
      };
    });
  },
};

// proper-lockfile and write-file-atomic (two thirds of the code, with graceful-fs, retry and signal-exit) are
// needed only by calls that write, which import them lazily: each is its own bundle next to the tools', so a
// read-only call does not even parse them.
const WRITE_DEPS = ['proper-lockfile', 'write-file-atomic'];
const writeDepsOutside = {
  name: 'write-deps-outside',
  setup(b) {
    const filter = new RegExp(`^(${WRITE_DEPS.join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: `./deps/${args.path}.cjs`, external: true }));
  },
};

// CommonJS throughout: Node starts a CommonJS main and require()s a file measurably faster than it sets up its
// ESM loader for the same code (simulator/bin/package.json makes the launchers CommonJS).
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: Object.keys(TOOLS).map((tool) => ({ in: `sim-tool:${tool}`, out: tool })),
  outdir,
  outExtension: { '.js': '.cjs' },
  // import() of the write deps becomes a require(): no ESM loader even on writes.
  supported: { 'dynamic-import': false },
  plugins: [toolEntries, writeDepsOutside],
});

await build({
  ...common,
  entryPoints: WRITE_DEPS.map((dep) => ({ in: `sim-dep:${dep}`, out: dep })),
  outdir: join(outdir, 'deps'),
  // proper-lockfile's graceful-fs only queues opens past EMFILE, which a simulated call holding a handful of
  // files never reaches; loading and patching it cost a write 2-5 ms. Node's fs has the same callback API.
  alias: { 'graceful-fs': 'fs' },
  outExtension: { '.js': '.cjs' },
  plugins: [
    {
      name: 'sim-dep-entries',
      setup(b) {
        b.onResolve({ filter: /^sim-dep:/ }, (args) => ({ path: args.path.slice(8), namespace: 'sim-dep' }));
        b.onLoad({ filter: /.*/, namespace: 'sim-dep' }, (args) => ({
          resolveDir: root,
          loader: 'js',
          contents: `module.exports = require('${args.path}');`,
        }));
      },
    },
  ],
});
