// The random key secret fingerprints are made with (HMAC-SHA256, see secretMasker): 32 bytes, drawn once per cache
// folder and kept beside what it protects, 0600 in a 0700 folder. Without it a cache file's `secret:<hash>` can be
// checked against guesses offline; with it only this host can.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createPrivateFile, ensurePrivateDir, readOwnFile } from '../private-files.js';

export const SECRET_KEY_FILE = 'secret-fingerprint.key';

/** The key in `dir`, made on first use. A link or a malformed file in its place is an error, never replaced. */
export async function loadSecretKey(dir: string): Promise<Buffer> {
  const file = path.join(dir, SECRET_KEY_FILE);
  ensurePrivateDir(dir);
  for (let attempt = 0; ; attempt++) {
    try {
      const text = readOwnFile(file).trim();
      if (!/^[0-9a-f]{64}$/.test(text))
        throw new Error(`${file} is not a Phoenix key (64 hex digits): remove it and run again`);
      return Buffer.from(text, 'hex');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw e;
    }
    // Created whole and never replaced: of two runs drawing a key at once, one puts its key in place and both
    // read that one.
    await createPrivateFile(file, `${randomBytes(32).toString('hex')}\n`);
  }
}
