// Start-up tricks, all in one place. Phoenix loads its modules statically, except the verbs (src/cli/verbs.ts), the
// user's own config module (src/config/module-loader.ts) and these: each is a dependency a common command does
// not need, loaded only when a run needs it. Each stays only while it saves at least 20 ms on the path it skips,
// as measured by `npm run bench` (figure 5, bench/startup-tricks.js), and each stand-in it allows is held to what
// it stands in for by a test (named below).

/**
 * zod and the config schema: only when a config is validated, i.e. the fleet cache (config/fleet-cache.ts) has no
 * entry for this exact input. Kept in step: test/config/fleet-cache.test.ts, test/config/schema-keys.test.ts.
 */
export const loadValidation = () => import('./config/normalize.js');

/**
 * The step cache's zod schema: only for a cache file the plain check (cache/file-format.ts) does not accept.
 * Kept in step: test/cache/file-format.test.ts.
 */
export const loadCacheSchema = () => import('./cache/format.js');

/**
 * conf (and its ajv): only when a preferences file exists; prefs/read.ts names the file as conf does. Kept in
 * step: test/prefs/read.test.ts.
 */
export const loadPrefsStore = () => import('./prefs/store.js');

/** esbuild: only to compile a phoenix.config.ts whose compiled copy is not cached (config/module-loader.ts). */
export const loadEsbuild = () => import('esbuild');

/**
 * The API transport (undici and the typed client): only under `--api`. Its option checks
 * (engine/api-access.ts) load without it. Kept in step: test/e2e/api.test.ts runs it.
 */
export const loadApiHost = () => import('./engine/api-host.js');

/**
 * execa: only when a command is run. A no-op plan or LetsGo on a node reads the node's files and spawns nothing
 * (issue 18). Kept in step: every test that runs a command (test/host/exec.test.ts).
 */
export const loadExeca = () => import('execa');
