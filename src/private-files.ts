// Files Phoenix keeps for itself (step cache, compiled config, fleet cache, locks, keys): folders 0700, files 0600,
// and never through a symbolic link. Phoenix runs as root: a link planted where it writes would let anyone
// overwrite a root-owned file, and a link where it reads would feed it someone else's data.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/**
 * A folder that exists, is a real folder (not a link), and is 0700. Created with its parents when missing.
 * Synchronous, as readOwnFile: a few local system calls, which every command makes before it reads its own files.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw Object.assign(new Error(`${dir} is not a folder (a symbolic link or a file is in the way)`), {
      code: 'ENOTDIR',
    });
  // Someone else's folder (planted in a shared place such as /run/lock) could have its files swapped under us.
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw Object.assign(new Error(`${dir} belongs to user ${st.uid}, not to this one: remove it`), {
      code: 'EPERM',
    });
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/**
 * Writes `data` to `file` atomically with mode 0600: a fresh temp file beside it (O_EXCL, so never through a link),
 * flushed, then renamed over the destination, which replaces a link rather than following it. (write-file-atomic
 * resolves links first and writes to their target, which is exactly what must not happen here.)
 */
export async function writePrivateFile(file: string, data: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * A file's text, refusing a symbolic link (ELOOP): a link where Phoenix keeps its own files was planted. Read
 * synchronously: these files are small and local, and an asynchronous read costs four thread-pool round trips
 * (open, stat, read, close), which for the step cache of a 3,000-guest fleet is most of reading it.
 */
export function readOwnFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** True for the error readOwnFile gives on a symbolic link. */
export const isLinkRefused = (e: unknown): boolean =>
  (e as NodeJS.ErrnoException | undefined)?.code === 'ELOOP';
