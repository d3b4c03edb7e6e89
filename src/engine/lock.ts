// One run at a time per target host: a second run exits 3 naming the holder, or waits with --wait.
// The lock lives with the host, not with a config's cache (two config folders drive one host; a deleted cache must
// not free it): on a real node in /run/lock/phoenix, under the simulator in its folder (HostTarget.lockDir).
// proper-lockfile provides the atomic lock (a directory); the holder file says who holds it. A lock is taken over
// only when its holder is gone (its PID dead, or reused by another process), never for being old: a run paused with
// SIGSTOP, or slow, keeps it. A lock left by a dead process (SIGKILL, power loss) is taken over at once.
// Taking the lock, writing the holder file and taking over a dead holder's lock all happen under a short-lived
// second lock (the gate): so a holder record always belongs to the lock it sits beside, and of several processes
// finding the same dead lock exactly one takes it over and none removes a lock that was just taken.
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ensurePrivateDir, processAlive, writePrivateFile } from '../private-files.js';
import { err, ok, type Result } from '../result.js';

export interface Holder {
  pid: number;
  command: string;
  startedAt: string;
  /** The holder process's start time in clock ticks since boot (/proc/<pid>/stat), to tell a reused PID. */
  procStart?: string;
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
/**
 * The run lock never goes stale by age (proper-lockfile insists on some staleness: 2^31 ms, ~25 days, with its
 * refresh timer at half of that): liveness of the holder decides, so a paused run does not lose it.
 */
const NEVER = 2 ** 31 - 1;
const RUN_LOCK = {
  realpath: false,
  stale: NEVER,
  update: Math.floor(NEVER / 2),
  onCompromised: () => undefined,
};
/** The gate is held for milliseconds; one left by a process killed while holding it is stale after 5 s. */
const GATE_LOCK = {
  realpath: false,
  stale: 5_000,
  retries: { retries: 200, minTimeout: 10, maxTimeout: 100 },
  onCompromised: () => undefined,
};

/** Field 22 of /proc/<pid>/stat (start time); undefined where there is no /proc. */
function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `h` still runs (a stopped process runs; a reused PID is another process). */
function alive(h: Holder): boolean {
  if (!processAlive(h.pid)) return false;
  const now = procStart(h.pid);
  return h.procStart === undefined || now === undefined || now === h.procStart;
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

type Attempt = { ok: true; release: () => Promise<void> } | { ok: false; holder?: Holder };

/** `lockDir`: where the host's locks live (HostTarget.lockDir), made a private folder of this user. */
export async function acquireRunLock(
  lockDir: string,
  identity: string,
  opts: { wait: boolean; command: string; signal?: AbortSignal },
): Promise<Result<HeldLock, LockError>> {
  ensurePrivateDir(lockDir);
  const target = join(lockDir, identity);
  const holderFile = `${target}.holder.json`;
  const warnings: string[] = [];

  /** One try, under the gate: take the lock (or a dead holder's) and write the holder record. */
  const attempt = async (): Promise<Attempt> => {
    const openGate = await lockfile.lock(`${target}.gate`, GATE_LOCK);
    try {
      for (let takenOver = false; ; takenOver = true) {
        try {
          const release = await lockfile.lock(target, RUN_LOCK);
          const start = procStart(process.pid);
          const me: Holder = {
            pid: process.pid,
            command: opts.command,
            startedAt: new Date().toISOString(),
            ...(start !== undefined && { procStart: start }),
          };
          await writePrivateFile(holderFile, JSON.stringify(me));
          return { ok: true, release };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
          const holder = await readHolder(holderFile);
          // Under the gate, a lock without a holder record was left by a process killed between the two writes.
          if (takenOver || (holder && alive(holder))) return holder ? { ok: false, holder } : { ok: false };
          warnings.push(`took over the run lock left by a process that is gone (${describe(holder)})`);
          await rm(`${target}.lock`, { recursive: true, force: true });
          await rm(holderFile, { force: true });
        }
      }
    } finally {
      await openGate().catch(() => undefined);
    }
  };

  for (;;) {
    if (opts.signal?.aborted)
      return err({ message: 'Interrupted while waiting for the run lock: nothing was started.' });
    const got = await attempt();
    if (got.ok) {
      return ok({
        warnings,
        release: async () => {
          await rm(holderFile, { force: true });
          await got.release().catch(() => undefined);
        },
      });
    }
    if (!opts.wait) {
      return err({
        ...(got.holder ? { holder: got.holder } : {}),
        message: `Error: another phoenix run holds the lock for this host (${describe(got.holder)}).\nWait for it to finish, or pass --wait to queue behind it.`,
      });
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
