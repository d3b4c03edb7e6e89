// The cache folder's secret key (src/cache/secret-key.ts): drawn once, and every run that starts at the same
// moment gets that one key, complete. A run that read a half-written key would stop with an error; one that read
// another key than the rest would fingerprint the same secrets differently.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSecretKey, SECRET_KEY_FILE } from '../../src/cache/secret-key.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the secret key of a cache folder', () => {
  it('is the same complete key for many loads at once in a fresh folder, kept 0600', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'phoenix-key-')), 'cache');
    dirs.push(dir);
    const keys = await Promise.all(Array.from({ length: 16 }, () => loadSecretKey(dir)));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
    expect(keys[0]).toHaveLength(32);
    const file = join(dir, SECRET_KEY_FILE);
    expect(readFileSync(file, 'utf8').trim()).toBe(keys[0]!.toString('hex'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
