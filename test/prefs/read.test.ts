import { chmodSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prefsFile, readPrefs } from '../../src/prefs/read.js';
import { openPrefs } from '../../src/prefs/store.js';
import { dispatchCaptured } from '../support/dispatch.js';

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

  it('refuses a file others could have written, or reached through a link: its `config` is code Phoenix runs', async () => {
    const e = env();
    openPrefs(e).set('config', '/elsewhere/phoenix.config.ts');
    chmodSync(prefsFile(e), 0o666);
    const open = await readPrefs(e);
    expect(open.ok).toBe(false);
    expect(open.ok ? '' : open.error).toContain("is not this user's own (others may write it)");
    chmodSync(prefsFile(e), 0o600);
    const linked = join(e.PHOENIX_PREFS_DIR!, '..', `${basename(e.PHOENIX_PREFS_DIR!)}-link`);
    symlinkSync(e.PHOENIX_PREFS_DIR!, linked);
    dirs.push(linked);
    const viaLink = await readPrefs({ PHOENIX_PREFS_DIR: linked });
    expect(viaLink.ok ? '' : viaLink.error).toContain('a folder on its way is a link');
    expect(await readPrefs(e)).toEqual({ ok: true, value: { config: '/elsewhere/phoenix.config.ts' } });
  });

  it('`phoenix prefs set` refuses a preferences folder reached through a link, writing nothing there', async () => {
    const target = env().PHOENIX_PREFS_DIR!;
    const linked = `${target}-link`;
    symlinkSync(target, linked);
    dirs.push(linked);
    const r = await dispatchCaptured(['prefs', 'set', 'concurrency', '2'], {
      env: { PHOENIX_PREFS_DIR: linked },
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("is not this user's own");
    expect(readdirSync(target)).toEqual([]);
  });

  it("reads its own file written under umask 002 (a user's private group)", async () => {
    const e = env();
    const before = process.umask(0o002);
    try {
      openPrefs(e).set('concurrency', 4);
    } finally {
      process.umask(before);
    }
    expect(await readPrefs(e)).toEqual({ ok: true, value: { concurrency: 4 } });
  });

  it('returns what `phoenix prefs set` stored', async () => {
    const e = env();
    openPrefs(e).set('concurrency', 3);
    expect(await readPrefs(e)).toEqual({ ok: true, value: { concurrency: 3 } });
  });
});
