// One run at a time per target host: a second run exits 3 naming the holder, or waits with --wait.
// proper-lockfile provides the atomic lock (a directory plus mtime heartbeats); the holder file says who holds it,
// so a lock left by a dead process (SIGKILL, power loss) is taken over at once, with a warning.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { err, ok, type Result } from '../result.js';

export interface Holder {
  pid: number;
  command: string;
  startedAt: string;
}

export interface HeldLock {
  release(): Promise<void>;
  warnings: string[];
}

export interface LockError {
  holder?: Holder;
  message: string;
}

const POLL_MS = 250;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

const describe = (h: Holder | undefined): string =>
  h ? `PID ${h.pid}, '${h.command}', started ${h.startedAt}` : 'a process that left no holder record';

export async function acquireRunLock(
  cacheDir: string,
  identity: string,
  opts: { wait: boolean; command: string },
): Promise<Result<HeldLock, LockError>> {
  const dir = join(cacheDir, 'locks');
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${identity}`);
  const holderFile = `${target}.holder.json`;
  const lockOpts = { realpath: false, stale: 30_000, update: 5_000, onCompromised: () => undefined };
  const warnings: string[] = [];
  for (;;) {
    try {
      const release = await lockfile.lock(target, lockOpts);
      const me: Holder = { pid: process.pid, command: opts.command, startedAt: new Date().toISOString() };
      await writeFileAtomic(holderFile, JSON.stringify(me));
      return ok({
        warnings,
        release: async () => {
          await rm(holderFile, { force: true });
          await release().catch(() => undefined);
        },
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const holder = await readHolder(holderFile);
      if (holder && !alive(holder.pid)) {
        warnings.push(`took over the run lock left by a process that is gone (${describe(holder)})`);
        await rm(`${target}.lock`, { recursive: true, force: true });
        await rm(holderFile, { force: true });
        continue;
      }
      if (!opts.wait) {
        return err({
          ...(holder ? { holder } : {}),
          message: `Error: another phoenix run holds the lock for this host (${describe(holder)}).\nWait for it to finish, or pass --wait to queue behind it.`,
        });
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
