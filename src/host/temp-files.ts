// Files a command names on its command line (an SSH key for `qm set --sshkeys FILE`, the config pushed into a
// container): written to a fresh private folder for the one command and removed after it. Never a fixed name in a
// shared folder such as /tmp, where any local user could plant the folder or a link before root writes through it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** File name (no folders) -> content. */
export type TempFiles = Readonly<Record<string, string>>;

/** What previews print in place of the private folder, which exists only while a step runs. */
export const TEMP_DIR_PLACEHOLDER = '<private temp folder>';

/**
 * Runs `fn` with `files` in a new folder (mkdtemp: a random name, mode 0700, never an existing one), each file
 * created exclusively with mode 0600 (so never through a link), and removes the folder whatever happened. With no
 * files there is no folder: `fn` gets the placeholder, which no command then names.
 */
export async function withPrivateFiles<T>(
  files: TempFiles,
  fn: (dir: string) => Promise<T>,
  base: string = tmpdir(),
): Promise<T> {
  if (Object.keys(files).length === 0) return fn(TEMP_DIR_PLACEHOLDER);
  const dir = await mkdtemp(path.join(base, 'phoenix-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      if (path.basename(name) !== name) throw new Error(`temp file name '${name}' must not name a folder`);
      await writeFile(path.join(dir, name), content, { mode: 0o600, flag: 'wx' });
    }
    return await fn(dir);
  } finally {
    // rm does not follow links inside the folder; it removes them.
    await rm(dir, { recursive: true, force: true });
  }
}
