// The tests' temp folders, removed when the test file that made them ends (test/support/setup.ts, a setup file of
// every test file). A helper module's own afterEach cannot do it: with `isolate: false` a module shared by several
// test files is loaded once, and its hooks belong to the first file that loaded it only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A fresh folder under the system's temp folder, `prefix` then random characters. */
export function tempDir(prefix: string): string {
  return removedLater(mkdtempSync(join(tmpdir(), prefix)));
}

/** `dir`, made elsewhere (a simulator folder), to be removed with the others. */
export function removedLater(dir: string): string {
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
