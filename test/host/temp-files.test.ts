// Issue 14, item 1: files handed to commands live in a private folder made for the one command, never at a fixed
// name in a shared folder.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withPrivateFiles } from '../../src/host/temp-files.js';

const base = mkdtempSync(path.join(tmpdir(), 'phoenix-tmpfiles-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('withPrivateFiles', () => {
  it('writes the files 0600 in a fresh 0700 folder with a random name, and removes it afterwards', async () => {
    const seen: { dir: string; mode: number; file: number; text: string }[] = [];
    for (let i = 0; i < 2; i++) {
      await withPrivateFiles(
        { 'sshkeys.pub': 'ssh-ed25519 AAAA\n' },
        (dir) => {
          const file = path.join(dir, 'sshkeys.pub');
          seen.push({
            dir,
            mode: statSync(dir).mode & 0o777,
            file: statSync(file).mode & 0o777,
            text: readFileSync(file, 'utf8'),
          });
          return Promise.resolve();
        },
        base,
      );
    }
    expect(seen.map((s) => [s.mode, s.file, s.text])).toEqual([
      [0o700, 0o600, 'ssh-ed25519 AAAA\n'],
      [0o700, 0o600, 'ssh-ed25519 AAAA\n'],
    ]);
    expect(seen[0]?.dir).not.toBe(seen[1]?.dir);
    for (const s of seen) expect(existsSync(s.dir)).toBe(false);
  });

  it('removes the folder when the command fails, and never follows a link planted inside it', async () => {
    const victim = path.join(base, 'victim');
    writeFileSync(victim, 'root-owned\n');
    let dir = '';
    await expect(
      withPrivateFiles(
        { a: 'b' },
        (d) => {
          dir = d;
          symlinkSync(victim, path.join(d, 'planted'));
          return Promise.reject(new Error('command failed'));
        },
        base,
      ),
    ).rejects.toThrow('command failed');
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('root-owned\n');
  });

  it('refuses a file name that names a folder', async () => {
    await expect(withPrivateFiles({ '../x': 'y' }, () => Promise.resolve(1), base)).rejects.toThrow(
      /must not name a folder/,
    );
  });
});
