// `npm run build`, second half: bundles the CLI (src/cli/main.ts and every verb module it imports lazily) with its
// npm dependencies into dist/cli/, one ESM entry plus shared chunks. Loading a few files instead of several hundred
// small modules is most of what `phoenix --help` and a no-op `phoenix plan` cost over bare Node.
// tsc's dist/src/ stays: it is the package's public entry (`import { defineConfig } from 'phoenix'`).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true }); // chunk names carry hashes: old ones would pile up

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir,
  bundle: true,
  splitting: true, // verb modules stay lazily loaded chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
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
});
