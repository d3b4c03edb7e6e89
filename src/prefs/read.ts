// Reading preferences on every command without loading conf: conf validates with ajv, and most machines have no
// preferences file at all. Only an existing file is read, through conf, validated as `phoenix prefs set` wrote it.
// A file that conf refuses is an error that names it and the commands that repair it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { err, ok, type Result } from '../result.js';
import { loadPrefsStore } from '../startup.js';
import { notOwnedReason } from '../private-files.js';

/** The file conf uses for openPrefs(env): the same env-paths call and file name conf makes for those options. */
export function prefsFile(env: NodeJS.ProcessEnv): string {
  const dir = env.PHOENIX_PREFS_DIR || envPaths('phoenix', { suffix: '' }).config;
  return join(dir, 'config.json');
}

/** What a preferences file that cannot be used means for the user. */
export function unusablePrefs(file: string, reason: string): string {
  return (
    `the preferences file ${file} cannot be used (${reason.split('\n')[0] ?? reason}): ` +
    `run 'phoenix prefs reset', or 'phoenix prefs unset KEY' for the key named`
  );
}

export async function readPrefs(env: NodeJS.ProcessEnv): Promise<Result<Record<string, unknown>, string>> {
  const file = prefsFile(env);
  if (!existsSync(file)) return ok({});
  // Its `config` names a config module Phoenix runs: root run with another user's HOME must not take theirs.
  const notOwned = notOwnedReason(file);
  if (notOwned !== undefined)
    return err(
      `the preferences file ${file} is not this user's own (${notOwned}): run with your own HOME (sudo -H) or ` +
        `PHOENIX_PREFS_DIR; if it is yours, chmod go-w it`,
    );
  const { readPrefs: readThroughConf } = await loadPrefsStore();
  try {
    return ok(readThroughConf(env));
  } catch (e) {
    return err(unusablePrefs(file, (e as Error).message));
  }
}
