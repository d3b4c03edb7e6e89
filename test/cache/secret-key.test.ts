// The cache folder's secret key (src/cache/secret-key.ts): drawn once, and every run that starts at the same
// moment gets that one key, complete. A run that read a half-written key would stop with an error; one that read
// another key than the rest would fingerprint the same secrets differently.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, SECRET_KEY_FILE } from '../../src/cache/secret-key.js';
import { tempDir } from '../support/temp-dirs.js';

describe('the secret key of a cache folder', () => {
  it('is the same complete key for many loads at once in a fresh folder, kept 0600', async () => {
    const dir = join(tempDir('phoenix-key-'), 'cache');
    const keys = await Promise.all(Array.from({ length: 16 }, () => loadSecretKey(dir)));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
    expect(keys[0]).toHaveLength(32);
    const file = join(dir, SECRET_KEY_FILE);
    expect(readFileSync(file, 'utf8').trim()).toBe(keys[0]!.toString('hex'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
