// Where files derived from a config live: the compiled config, the validated fleet and the hypervisor scripts'
// JSON go beside the config (not under PHOENIX_CACHE_DIR, whose files must hold no secrets); when the config
// folder is read-only, in the user's own cache folder, never a shared one such as /tmp.
import path from 'node:path';
import envPaths from 'env-paths';
import { ownedPath } from '../private-files.js';

/** `<configDir>/.phoenixcache/config`. */
export function configCacheDir(configDir: string): string {
  return path.join(configDir, '.phoenixcache', 'config');
}

/**
 * The fallback for a read-only config folder: `~/.cache/phoenix/config` (per user), and none when a folder on its
 * way is not this user's or root's (root run with another user's HOME: that user could have placed a compiled copy
 * there, or linked the way elsewhere; see ownedPath).
 */
export function userConfigCacheDir(): string | undefined {
  const dir = path.join(envPaths('phoenix', { suffix: '' }).cache, 'config');
  return ownedPath(dir) ? dir : undefined;
}
