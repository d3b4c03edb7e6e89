// `phoenix prefs list|get KEY|set KEY VALUE|unset KEY`: user preferences kept with conf.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { PREF_KEYS, PREF_PARSERS } from '../../prefs/values.js';
import { openPrefs } from '../../prefs/store.js';

export function run(ctx: VerbContext): Promise<number> {
  return Promise.resolve(runNow(ctx));
}

function runNow(ctx: VerbContext): number {
  const [action = 'list', key, value] = ctx.words;
  const store = openPrefs(ctx.env);
  const isKey = (k: string | undefined): k is (typeof PREF_KEYS)[number] =>
    k !== undefined && (PREF_KEYS as readonly string[]).includes(k);
  switch (action) {
    case 'list':
      for (const k of PREF_KEYS) ctx.io.out(`${k} = ${JSON.stringify(store.get(k) ?? null)}`);
      ctx.io.out(`(stored in ${store.path})`);
      return EXIT.ok;
    case 'get':
      if (!isKey(key)) break;
      ctx.io.out(JSON.stringify(store.get(key) ?? null));
      return EXIT.ok;
    case 'unset':
      if (!isKey(key)) break;
      store.delete(key);
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
  ctx.io.err(
    `Error: usage: phoenix prefs list | get KEY | set KEY VALUE | unset KEY (keys: ${PREF_KEYS.join(', ')})`,
  );
  return EXIT.usage;
}
