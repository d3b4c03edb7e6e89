// The run lock's mark: whether it is held and which acquisition took it last. Apart from lock.ts (and its
// libraries) so a run can read it before it even decides to take the lock, at the cost of two file reads.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The lock files of one host in its lock folder (HostTarget.lockDir). */
export const lockPaths = (lockDir: string, identity: string) => {
  const target = join(lockDir, identity);
  // Every acquisition writes a new epoch, so "the same epoch and free" means no run took the lock in between.
  return { target, holderFile: `${target}.holder.json`, epochFile: `${target}.epoch` };
};

export const readEpoch = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '');

/**
 * Whether the run lock is held now, and which acquisition took it last. Read before a live read that starts ahead
 * of the lock; once the lock is held, the read stands if HeldLock.previousMark equals it: the lock was free when the read
 * started, and this process is the first to take it since.
 */
export async function runLockMark(lockDir: string, identity: string): Promise<string> {
  const { target, epochFile } = lockPaths(lockDir, identity);
  const epoch = await readEpoch(epochFile); // first: an acquisition after this read changes the epoch
  return existsSync(`${target}.lock`) ? 'held' : `free:${epoch}`; // 'held' matches no previousMark
}
