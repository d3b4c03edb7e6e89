// Reading preferences on every command without loading conf: conf validates with ajv (~0.1 s of start-up), and
// most machines have no preferences file at all. Only an existing file is read through conf, validated as before.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { loadPrefsStore } from '../startup.js';

/** The file conf uses for openPrefs(env): the same env-paths call and file name conf makes for those options. */
export function prefsFile(env: NodeJS.ProcessEnv): string {
  const dir = env.PHOENIX_PREFS_DIR || envPaths('phoenix', { suffix: '' }).config;
  return join(dir, 'config.json');
}

export async function readPrefs(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  if (!existsSync(prefsFile(env))) return {};
  const { readPrefs: readThroughConf } = await loadPrefsStore();
  return readThroughConf(env);
}
