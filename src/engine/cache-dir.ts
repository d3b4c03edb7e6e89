// The cache folder must be usable before a verb starts anything: a folder that cannot be made, read or written
// (a file in the way, a read-only file system, a link) is one line naming it and the fix, never a stack trace later.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { ensurePrivateDir } from '../private-files.js';

/** Undefined when `dir` is (now) a private folder Phoenix can read and write; else the message to print. */
export async function cacheDirProblem(dir: string): Promise<string | undefined> {
  try {
    ensurePrivateDir(dir);
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOTDIR' || err.code === 'EEXIST' ? 'not a folder' : (err.code ?? err.message);
    return `Error: cannot use the cache folder ${dir} (${why}); make it a folder Phoenix can write, or set PHOENIX_CACHE_DIR to one. Nothing was changed.`;
  }
}
