// The esbuild options every file of the bundled CLI is built with (scripts/bundle-cli.js), shared with the bench's
// figure 5 (bench/startup-tricks.js), which must bundle what it measures as the CLI does.
export const cliBundleOptions = {
  bundle: true,
  format: 'cjs',
  // src/cli/bundle-loader.ts runs each file through V8's code cache, and code compiled that way cannot import().
  supported: { 'dynamic-import': false },
  platform: 'node',
  target: 'node20',
  // Prefer a package's ESM build: jsonc-parser's `main` is a UMD build whose require() calls esbuild cannot follow.
  mainFields: ['module', 'main'],
  // esbuild is a native binary it loads at run time. cosmiconfig's own TypeScript loader is never used (ours
  // compiles with esbuild), so the compiler it would require stays out of the bundle.
  external: ['esbuild', 'typescript'],
  define: {
    'import.meta.url': '__phoenixFileUrl',
    'import.meta.filename': '__filename',
    'import.meta.dirname': '__dirname',
  },
  // "use strict" first: esbuild's own comes after the banner, where it is no directive, and the ES modules this
  // code was written as are strict.
  banner: {
    js: '"use strict"; const __phoenixFileUrl = require("node:url").pathToFileURL(__filename).href;',
  },
};
