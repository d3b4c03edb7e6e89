// `phoenix prefs list | get KEY | set KEY VALUE | unset KEY | reset`: user preferences kept with conf. `unset` and
// `reset` also repair a file conf refuses (hand-edited into invalid JSON or an invalid value).
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { NOT_OWNED_PATH, ownedPath } from '../../private-files.js';
import { prefsFile, unusablePrefs } from '../../prefs/read.js';
import { openPrefs, removeKeyByHand } from '../../prefs/store.js';
import { PREF_KEYS, PREF_PARSERS, type PrefKey } from '../../prefs/values.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

const USAGE = `usage: phoenix prefs list | get KEY | set KEY VALUE | unset KEY | reset (keys: ${PREF_KEYS.join(', ')})`;

export function run(ctx: VerbContext): Promise<number> {
  return Promise.resolve(runNow(ctx));
}

const isKey = (k: string | undefined): k is PrefKey =>
  k !== undefined && (PREF_KEYS as readonly string[]).includes(k);

function runNow(ctx: VerbContext): number {
  const [action = 'list', key, value] = ctx.words;
  const file = prefsFile(ctx.env);
  // Written, removed and read only in this user's own folder: root run with another user's HOME must not write
  // through a link that user placed, nor take their settings.
  if (!ownedPath(dirname(file))) {
    ctx.io.err(
      `Error: the preferences folder ${dirname(file)} is not this user's own (${NOT_OWNED_PATH}): ` +
        'run with your own HOME (sudo -H) or PHOENIX_PREFS_DIR',
    );
    return EXIT.usage;
  }
  if (action === 'reset' && key === undefined) {
    rmSync(file, { force: true });
    ctx.io.out(`Preferences reset (removed ${file}).`);
    return EXIT.ok;
  }
  if (action === 'unset' && isKey(key) && value === undefined) {
    const removed = removeKeyByHand(file, key);
    if (!removed.ok) {
      ctx.io.err(`Error: ${unusablePrefs(file, removed.error)}`);
      return EXIT.usage;
    }
    return EXIT.ok;
  }
  let store: ReturnType<typeof openPrefs>;
  try {
    store = openPrefs(ctx.env);
  } catch (e) {
    ctx.io.err(`Error: ${unusablePrefs(file, (e as Error).message)}`);
    return EXIT.usage;
  }
  switch (action) {
    case 'list':
      if (key !== undefined) break;
      for (const k of PREF_KEYS) ctx.io.out(`${k} = ${JSON.stringify(store.get(k) ?? null)}`);
      ctx.io.out(`(stored in ${store.path})`);
      return EXIT.ok;
    case 'get':
      if (!isKey(key) || value !== undefined) break;
      ctx.io.out(JSON.stringify(store.get(key) ?? null));
      return EXIT.ok;
    case 'set': {
      if (!isKey(key) || value === undefined) break;
      const parsed = PREF_PARSERS[key](value);
      if (!parsed.ok) {
        ctx.io.err(`Error: preference '${key}' ${parsed.error}`);
        return EXIT.usage;
      }
      store.set(key, parsed.value);
      return EXIT.ok;
    }
  }
  ctx.io.err(`Error: ${USAGE}`);
  return EXIT.usage;
}
