// Figure 5: what the start-up tricks save on the path they skip, the no-op `phoenix plan`; a trick stays only while
// it saves at least 20 ms.
//  - src/startup.ts, the dependencies loaded only when a run needs them: the plan verb bundled as
//    scripts/bundle-cli.js bundles it (a CommonJS script, its lazy imports left out) is timed against the same verb
//    with all of them bundled in, each loaded by a fresh Node through the built code-cache loader
//    (dist/cli/loader.cjs, its blobs written by a first run), interleaved, median of RUNS each. Each dependency's
//    own share (the verb with it alone bundled in) is shown too. The list is read from src/startup.ts itself.
//  - The code cache (src/cli/bundle-loader.ts): a no-op `phoenix plan` with its cache against one with
//    PHOENIX_CODE_CACHE=off, interleaved, on a simulated fleet built first.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { cliBundleOptions } from '../scripts/bundle-options.js';
import { benchEnv, createSimDir, log, median, phoenix, registerSimDir, ROOT, run, tempDir } from './lib.js';

const RUNS = 15;
export const THRESHOLD_MS = 20;

/** `[name, specifier]` for every `export const loadX = () => import('...')` in src/startup.ts. */
export function startupTricks() {
  const source = readFileSync(join(ROOT, 'src', 'startup.ts'), 'utf8');
  return [...source.matchAll(/export const (\w+) = \(\) => import\('([^']+)'\)/g)].map((m) => [m[1], m[2]]);
}

/** The plan verb with `modules` (source paths or packages) bundled in, its own lazy imports left out. */
async function bundle(dir, name, modules) {
  const entry = join(dir, `${name}.entry.ts`);
  const imports = [join(ROOT, 'src', 'engine', 'verbs', 'plan.ts'), ...modules];
  writeFileSync(
    entry,
    imports
      .map((m, i) => `import * as m${i} from ${JSON.stringify(m)};\nglobalThis.__m${i} = m${i};\n`)
      .join(''),
  );
  const outfile = join(dir, `${name}.cjs`);
  const lazy = {
    name: 'lazy',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (a) =>
        a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined,
      );
    },
  };
  await build({
    entryPoints: [entry],
    plugins: [lazy],
    outfile,
    ...cliBundleOptions,
    logLevel: 'error',
    absWorkingDir: ROOT,
  });
  return outfile;
}

export async function startupTricksFigure() {
  // Inside node_modules/.cache, so the bundles find the packages the CLI leaves external.
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'phoenix-tricks-'));
  try {
    return await measure(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(dir) {
  const tricks = startupTricks();
  // Specifiers in startup.ts are relative to src/; packages are as they are.
  const target = (spec) => (spec.startsWith('.') ? join(ROOT, 'src', spec.replace(/\.js$/, '.ts')) : spec);
  const verb = await bundle(dir, 'verb', []);
  const all = await bundle(
    dir,
    'all',
    tricks.map(([, spec]) => target(spec)),
  );
  const files = [];
  for (const [name, spec] of tricks) files.push([name, spec, await bundle(dir, name, [target(spec)])]);
  // Through the built loader with a private code cache, as the CLI loads its bundles; a first run writes each blob.
  const codeCache = join(dir, 'code');
  const runner = join(dir, 'runner.cjs');
  writeFileSync(
    runner,
    `const l = require(${JSON.stringify(join(ROOT, 'dist', 'cli', 'loader.cjs'))}).bundleLoader(${JSON.stringify(codeCache)});\n` +
      'l.load(process.argv[2]);\nl.save();\n',
  );
  const load = async (file) => (await run(['node', runner, file])).ms;
  const series = [['verb', verb], ['all', all], ...files.map(([name, , file]) => [name, file])];
  for (const [, file] of series) await load(file);
  const times = new Map(series.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) for (const [name, file] of series) times.get(name).push(await load(file));
  const verbMs = median(times.get('verb'));
  const saved = (name) => median(times.get(name)) - verbMs;
  const together = saved('all');
  const rows = [
    {
      name: 'lazy dependencies',
      module: `src/startup.ts (${tricks.length}, together)`,
      savedMs: together,
      kept: together >= THRESHOLD_MS,
    },
    ...files.map(([name, spec]) => ({ name, module: spec, savedMs: saved(name), share: true })),
  ];
  rows.push(await codeCacheRow());
  for (const r of rows) log(`start-up trick ${r.name} (${r.module}): saves ${r.savedMs.toFixed(0)} ms`);
  return { runs: RUNS, verbMs, thresholdMs: THRESHOLD_MS, tricks: rows };
}

/** The code cache: a no-op plan with a warm cache against one without (PHOENIX_CODE_CACHE=off). */
async function codeCacheRow() {
  const simDir = registerSimDir(await createSimDir({ config: { latencyScale: 0 } }));
  const on = { cwd: ROOT, env: benchEnv(tempDir('tricks-cache')) };
  const off = { cwd: ROOT, env: { ...on.env, PHOENIX_CODE_CACHE: 'off' } };
  const plan = ['plan', '--sim-dir', simDir];
  await phoenix(['LetsGo', '--sim-dir', simDir], on);
  await phoenix(plan, on); // the plan's blobs
  const cached = [];
  const compiled = [];
  for (let i = 0; i < RUNS; i++) {
    cached.push((await phoenix(plan, on)).ms);
    compiled.push((await phoenix(plan, off)).ms);
  }
  const savedMs = median(compiled) - median(cached);
  return { name: 'code cache', module: 'src/cli/bundle-loader.ts', savedMs, kept: savedMs >= THRESHOLD_MS };
}
