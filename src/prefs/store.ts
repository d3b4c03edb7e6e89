// User preferences (conf): default config location, concurrency and renderer.
import Conf from 'conf';

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
    ...(env.PHOENIX_PREFS_DIR ? { cwd: env.PHOENIX_PREFS_DIR } : {}),
  });
}

export function readPrefs(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return { ...openPrefs(env).store };
}
