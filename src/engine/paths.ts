// Where Phoenix keeps its state, and where the package's own folders are.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this module holding Phoenix's package.json. The module may be
 * src/app/paths.ts, dist/src/app/paths.js or a chunk of the bundled CLI under dist/cli/.
 */
export const PACKAGE_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'phoenix'
    )
      return dir;
    if (dirname(dir) === dir) throw new Error(`phoenix: no package.json of phoenix above ${from}`);
  }
}

/** Folder of the simulator's pct/qm/pvesm/pveam/pvesh executables. */
export const SIMULATOR_BIN = join(PACKAGE_ROOT, 'simulator', 'bin');

/** The simulator's stand-in for a script or command on the node: records the call, runs nothing. */
export const SIMULATOR_SCRIPT_STAND_IN = join(SIMULATOR_BIN, 'phoenix-sim-script');

/** `.phoenixcache/` beside the config (PHOENIX_CACHE_DIR overrides). */
export function cacheDirFor(configRoot: string, env: NodeJS.ProcessEnv): string {
  return env.PHOENIX_CACHE_DIR ? resolve(env.PHOENIX_CACHE_DIR) : join(configRoot, '.phoenixcache');
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}
