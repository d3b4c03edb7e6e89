// User preferences (conf): default config location, concurrency and renderer.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Conf from 'conf';
import { err, ok, type Result } from '../result.js';
import { RENDERERS, type PrefKey as Pref } from './values.js';

const schema = {
  config: { type: 'string' },
  concurrency: { type: 'integer', minimum: 1, maximum: 64 },
  renderer: { type: 'string', enum: [...RENDERERS] },
} as const;

/** PHOENIX_PREFS_DIR overrides the folder (tests, and users who keep dotfiles elsewhere). */
export function openPrefs(env: NodeJS.ProcessEnv): Conf<Record<Pref, unknown>> {
  return new Conf<Record<Pref, unknown>>({
    projectName: 'phoenix',
    projectSuffix: '',
    schema,
    configFileMode: 0o600, // the user's own: read only when nobody else may write it (prefs/read.ts)
    ...(env.PHOENIX_PREFS_DIR ? { cwd: env.PHOENIX_PREFS_DIR } : {}),
  });
}

export function readPrefs(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return { ...openPrefs(env).store };
}

/**
 * Removes one key from the preferences file without conf, which refuses to open a file it finds invalid: the way
 * `phoenix prefs unset` repairs a hand-edited file. The file must still be a JSON object (else: `prefs reset`).
 */
export function removeKeyByHand(file: string, key: Pref): Result<void, string> {
  if (!existsSync(file)) return ok(undefined);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return err(`not valid JSON: ${(e as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return err('not a JSON object');
  const rest = { ...(data as Record<string, unknown>) };
  if (!(key in rest)) return ok(undefined);
  delete rest[key];
  writeFileSync(file, JSON.stringify(rest, undefined, '\t')); // as conf writes it
  return ok(undefined);
}
