// Files Phoenix keeps for itself (step cache, compiled config, fleet cache, locks, keys): folders 0700, files 0600,
// and never through a symbolic link. Phoenix runs as root: a link planted where it writes would let anyone
// overwrite a root-owned file, and a link where it reads would feed it someone else's data.
// fs.promises is Node's lazily loaded getter, read only when a file is written (node:fs/promises costs 1.5 ms to
// load, and `phoenix --help` writes nothing); the temp names need no node:crypto (2.5 ms) for the same reason.
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  promises as fsp,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';

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
 * Whether someone besides the owner may write it: anyone, or a group that is not this user's own (with a user's
 * private group, umask 002 makes files group-writable, and that group holds only the user).
 */
function othersMayWrite(st: { mode: number; gid: number }): boolean {
  if ((st.mode & 0o002) !== 0) return true;
  return (st.mode & 0o020) !== 0 && st.gid !== process.getgid?.();
}

/**
 * Why a file with this status is not to be trusted (undefined when it is): not a regular file, not this user's
 * (`orRoot`: nor root's), or open to others' writes. The one check behind readOwnBytes, notOwnedReason and
 * foundFileReason.
 */
function untrustedReason(
  st: { uid: number; gid: number; mode: number; isFile(): boolean },
  orRoot = false,
): string | undefined {
  const uid = process.getuid?.();
  if (!st.isFile()) return 'it is not a regular file';
  if (uid !== undefined && st.uid !== uid && !(orRoot && st.uid === 0)) return `it belongs to user ${st.uid}`;
  if (othersMayWrite(st)) return 'others may write it';
  return undefined;
}

/**
 * Why a config file that a search found (not one named) is not to be run (undefined when it may): it must belong
 * to this user or root and be shut to others. A search walks up to folders such as /tmp, where anyone can leave a
 * phoenix.config.ts.
 */
export function foundFileReason(file: string): string | undefined {
  return untrustedReason(lstatSync(file), true);
}

/**
 * Whether a folder path is this user's own all the way down: every part of it that exists a real folder (no link)
 * owned by this user or by root, and none that others may write unless sticky (/tmp). For a folder derived from the
 * environment (HOME), which root may be run with another user's: that user could link part of it elsewhere and have
 * root create, or make private, a folder of their choosing.
 */
export function ownedPath(dir: string): boolean {
  const uid = process.getuid?.();
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let st;
    try {
      st = lstatSync(at);
    } catch {
      st = undefined; // not made yet: ensurePrivateDir makes it
    }
    if (st !== undefined) {
      if (st.isSymbolicLink() || !st.isDirectory()) return false;
      if (uid !== undefined && st.uid !== uid && st.uid !== 0) return false;
      if (othersMayWrite(st) && (st.mode & 0o1000) === 0) return false;
    }
    if (path.dirname(at) === at) return true;
  }
}

/** Why a folder is not ownedPath, for messages. */
export const NOT_OWNED_PATH = 'a folder on its way is a link, or belongs to or is writable by another user';

/**
 * Why `file`, which holds settings Phoenix acts on, cannot be trusted as this user's own (undefined when it can):
 * its folders as ownedPath, itself a regular file of this user that others cannot write.
 */
export function notOwnedReason(file: string): string | undefined {
  if (!ownedPath(path.dirname(file))) return NOT_OWNED_PATH;
  return untrustedReason(lstatSync(file));
}

/**
 * Writes `data` to `file` atomically with mode 0600: a fresh temp file beside it (O_EXCL, so never through a link),
 * flushed, then renamed over the destination, which replaces a link rather than following it. (write-file-atomic
 * resolves links first and writes to their target, which is exactly what must not happen here.)
 */
export async function writePrivateFile(file: string, data: string | Uint8Array): Promise<void> {
  await placeTemp(file, data, (tmp) => fsp.rename(tmp, file));
}

/**
 * Creates `file` with `data` and mode 0600 unless it exists: written whole beside it, then hard-linked into place,
 * and a link never replaces what is there. So of several processes creating it at once exactly one does, and none
 * can read it half written. False when it existed (a link or not: it is never followed or replaced).
 */
export async function createPrivateFile(file: string, data: string): Promise<boolean> {
  try {
    await placeTemp(file, data, (tmp) => fsp.link(tmp, file).then(() => fsp.rm(tmp, { force: true })));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** `data` in a fresh 0600 temp file beside `file`, flushed, then handed to `place`; removed if anything fails. */
async function placeTemp(
  file: string,
  data: string | Uint8Array,
  place: (tmp: string) => Promise<void>,
): Promise<void> {
  // Unique in this process by the clock, across processes by the PID; O_EXCL ('wx') never opens what is there.
  const tmp = `${file}.${process.pid}.${process.hrtime.bigint()}.tmp`;
  const fh = await fsp.open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await place(tmp);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

const TEMP = /\.(\d+)\.\d+\.tmp$/; // placeTemp's `<file>.<pid>.<clock>.tmp`

/**
 * Removes the temp files in `dir` whose writer is gone (killed during a write). A temp file of a live process, or of
 * a PID another process has taken since, stays; it is never read.
 */
export function removeOrphanTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = TEMP.exec(name);
    if (m !== null && !processAlive(Number(m[1]))) rmSync(path.join(dir, name), { force: true });
  }
}

/** Whether a process with this PID exists (EPERM: it does, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A file's text, refusing a symbolic link (ELOOP: a link where Phoenix keeps its own files was planted) and a file
 * that is not this user's or that others may write (EPERM: checked on the open file, so a folder swapped in on the
 * way cannot hand it someone else's). Read synchronously: these files are small and local, and an asynchronous read
 * costs four thread-pool round trips (open, stat, read, close), which for the step cache of a 3,000-guest fleet is
 * most of reading it.
 */
export function readOwnFile(file: string): string {
  return readOwnBytes(file).toString('utf8');
}

/** readOwnFile's bytes: for what Phoenix runs as code (the code cache's blobs, src/cli/bundle-loader.ts). */
export function readOwnBytes(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (untrustedReason(fstatSync(fd)) !== undefined)
      throw Object.assign(new Error(`${file} is not a private file of this user`), { code: 'EPERM' });
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** True for the error readOwnFile gives on a symbolic link. */
export const isLinkRefused = (e: unknown): boolean =>
  (e as NodeJS.ErrnoException | undefined)?.code === 'ELOOP';
