// Figure 5: what each start-up trick saves. src/startup.ts lists the dependencies Phoenix loads only when a run
// needs them; a trick stays only while it saves at least 20 ms on the path it skips. For each one this bundles
// the module as the CLI bundle would (esbuild, ESM, node platform), then times a fresh Node loading it against a
// fresh Node loading an empty bundle, interleaved, median of RUNS each. The trick list is read from
// src/startup.ts itself, so the figure always measures what the code does.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { log, median, ROOT, run } from './lib.js';

const RUNS = 15;
export const THRESHOLD_MS = 20;

/** `[name, specifier]` for every `export const loadX = () => import('...')` in src/startup.ts. */
export function startupTricks() {
  const source = readFileSync(join(ROOT, 'src', 'startup.ts'), 'utf8');
  return [...source.matchAll(/export const (\w+) = \(\) => import\('([^']+)'\)/g)].map((m) => [m[1], m[2]]);
}

async function bundle(dir, name, body) {
  const entry = join(dir, `${name}.entry.ts`);
  writeFileSync(entry, body);
  const outfile = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['esbuild', 'typescript'], // as scripts/bundle-cli.js
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url); const __filename = import.meta.filename; const __dirname = import.meta.dirname;",
    },
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
  const empty = await bundle(dir, 'empty', 'export {};\n');
  const files = [];
  for (const [name, spec] of tricks) {
    // Specifiers in startup.ts are relative to src/; packages are as they are.
    const target = spec.startsWith('.') ? join(ROOT, 'src', spec.replace(/\.js$/, '.ts')) : spec;
    const file = await bundle(
      dir,
      name,
      `import * as m from ${JSON.stringify(target)};\nglobalThis.__m = m;\n`,
    );
    files.push([name, spec, file]);
  }
  const times = new Map(files.map(([name]) => [name, []]));
  const base = [];
  for (let i = 0; i < RUNS; i++) {
    base.push((await run(['node', empty])).ms);
    for (const [name, , file] of files) {
      times.get(name).push((await run(['node', file])).ms);
    }
  }
  const baseMs = median(base);
  const rows = files.map(([name, spec]) => {
    const savedMs = median(times.get(name)) - baseMs;
    return { name, module: spec, savedMs, kept: savedMs >= THRESHOLD_MS };
  });
  for (const r of rows) log(`start-up trick ${r.name} (${r.module}): saves ${r.savedMs.toFixed(0)} ms`);
  return { runs: RUNS, emptyMs: baseMs, thresholdMs: THRESHOLD_MS, tricks: rows };
}
