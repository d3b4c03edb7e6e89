// Where Phoenix keeps its state, and where the package's own folders are.
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this file is dist/src/app/paths.js or src/app/paths.ts). */
export const PACKAGE_ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes('/dist/') ? '../../..' : '../..',
);

/** Folder of the simulator's pct/qm/pvesm/pveam/pvesh executables. */
export const SIMULATOR_BIN = join(PACKAGE_ROOT, 'simulator', 'bin');

/** `.phoenixcache/` beside the config (PHOENIX_CACHE_DIR overrides). */
export function cacheDirFor(configRoot: string, env: NodeJS.ProcessEnv): string {
  return env.PHOENIX_CACHE_DIR ? resolve(env.PHOENIX_CACHE_DIR) : join(configRoot, '.phoenixcache');
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}
