import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prefsFile, readPrefs } from '../../src/prefs/read.js';
import { openPrefs } from '../../src/prefs/store.js';

const dirs: string[] = [];
const env = (): NodeJS.ProcessEnv => {
  const d = mkdtempSync(join(tmpdir(), 'phoenix-prefs-'));
  dirs.push(d);
  return { PHOENIX_PREFS_DIR: d };
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('readPrefs', () => {
  it('looks for the file conf writes', () => {
    const e = env();
    expect(prefsFile(e)).toBe(openPrefs(e).path);
  });

  it('is empty when no preference was ever set', async () => {
    expect(await readPrefs(env())).toEqual({ ok: true, value: {} });
  });

  it('returns what `phoenix prefs set` stored', async () => {
    const e = env();
    openPrefs(e).set('concurrency', 3);
    expect(await readPrefs(e)).toEqual({ ok: true, value: { concurrency: 3 } });
  });
});
