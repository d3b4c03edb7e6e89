// Where files derived from a config live: the compiled config, the validated fleet and the hypervisor scripts'
// JSON go beside the config (not under PHOENIX_CACHE_DIR, whose files must hold no secrets); when the config
// folder is read-only, in the user's own cache folder, never a shared one such as /tmp.
import path from 'node:path';
import envPaths from 'env-paths';

/** `<configDir>/.phoenixcache/config`. */
export function configCacheDir(configDir: string): string {
  return path.join(configDir, '.phoenixcache', 'config');
}

/** The fallback for a read-only config folder: `~/.cache/phoenix/config` (per user). */
export function userConfigCacheDir(): string {
  return path.join(envPaths('phoenix', { suffix: '' }).cache, 'config');
}
