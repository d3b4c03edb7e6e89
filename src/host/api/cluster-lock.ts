// The cluster's run lock: one Phoenix run with work at a time across every machine that drives one cluster. It is a
// folder in pmxcfs's own lock folder, as Proxmox's cfs locks are (pve-cluster src/PVE/Cluster.pm `cfs_lock`):
// `mkdir /etc/pve/priv/lock/phoenix-run` succeeds on one node of the cluster at a time; only the node that made it
// may make its mtime newer (src/pmxcfs/memdb.c, the `is_lock` check); `utime(0, 0)` on it asks pmxcfs to remove it
// when it has not changed for 120 s (src/pmxcfs/cfs-plug-memdb.c `utimens`, memdb.c `memdb_lock_expired`,
// `CFS_LOCK_TIMEOUT`). So the holder touches it every 60 s, and a lock whose holder died or lost the network goes
// two minutes after its last touch. Reached over the ssh lane (root on a node: a token cannot write /etc/pve/priv).
// The holder record beside it says who holds it. The simulator's ssh runs the same scripts on its folder, where a
// plain folder never expires.
import { hostname } from 'node:os';
import { err, ok, type Result } from '../../result.js';
import type { BackendHost } from '../exec.js';
import { sshArgv, type SshOptions } from '../ssh.js';

export const CLUSTER_LOCK = '/etc/pve/priv/lock/phoenix-run';
const HOLDER = '/etc/pve/priv/phoenix-run.json';
/** Half pmxcfs's 120 s: a refresh can be late once without losing the lock. */
export const REFRESH_MS = 60_000;
const POLL_MS = 2_000;

export interface ClusterHolder {
  machine: string;
  pid: number;
  command: string;
  startedAt: string;
}

export interface HeldClusterLock {
  release(): Promise<void>;
  /**
   * Set when ssh to the node failed (exit 255: no key, unreachable): a fleet that needs no ssh lane otherwise still
   * runs, told that other machines' runs are not kept apart from it.
   */
  warning?: string;
}

const paths = [
  'r="${PHOENIX_PVE_ROOT-}"',
  `l="$r${CLUSTER_LOCK}"`,
  `h="$r${HOLDER}"`,
  'mkdir -p "$(dirname "$l")" || exit 1',
];

/** Takes the lock, or prints the holder record on stderr and exits 3. A stale lock is asked to go first (utime 0). */
export function takeScript(holder: ClusterHolder): string {
  const record = Buffer.from(JSON.stringify(holder)).toString('base64');
  return [
    ...paths,
    'take() {',
    '  mkdir "$l" 2>/dev/null || return 1',
    `  printf '%s' '${record}' | base64 -d > "$h.tmp.$$" && mv "$h.tmp.$$" "$h"`,
    '  echo taken; exit 0',
    '}',
    'take',
    'touch -m -d @0 "$l" 2>/dev/null',
    'take',
    'cat "$h" >&2 2>/dev/null; exit 3',
    '',
  ].join('\n');
}

export const refreshScript = (): string => [...paths, 'touch -m "$l"', ''].join('\n');

export const releaseScript = (): string =>
  [...paths, 'rm -f "$h"', 'rmdir "$l" 2>/dev/null || :', ''].join('\n');

/** Who holds it, in words. */
export function describeHolder(text: string): string {
  try {
    const h = JSON.parse(text) as ClusterHolder;
    return `${h.machine}, PID ${h.pid}, '${h.command}', started ${h.startedAt}`;
  } catch {
    return 'a run that left no holder record';
  }
}

/**
 * Takes the cluster's run lock on `node` (any node: pmxcfs is the cluster's): held by another run, exit 3's message,
 * or with `wait` polling until it is free. Held, it is refreshed until released.
 */
export async function takeClusterLock(
  local: BackendHost,
  ssh: SshOptions,
  node: string,
  opts: { command: string; wait: boolean; signal?: AbortSignal; pollMs?: number },
): Promise<Result<HeldClusterLock, string>> {
  const holder: ClusterHolder = {
    machine: hostname(),
    pid: process.pid,
    command: opts.command,
    startedAt: new Date().toISOString(),
  };
  const run = (script: string) => local.run(sshArgv(node, 'sh -s', ssh), { input: script });
  for (;;) {
    const res = await run(takeScript(holder));
    if (res.ok) break;
    if (res.error.exitCode === 255)
      return ok({
        release: () => Promise.resolve(),
        warning:
          `the cluster's run lock (${CLUSTER_LOCK}) was not taken: ssh ${ssh.user}@${node} failed ` +
          `(${res.error.stderrTail.trim().split('\n').at(-1) ?? ''}); runs from other machines are not kept apart from this one`,
      });
    if (res.error.exitCode !== 3)
      return err(
        `Error: cannot take the cluster's run lock (${CLUSTER_LOCK} on ${node}): ${res.error.message}`,
      );
    if (!opts.wait)
      return err(
        `Error: another phoenix run holds the cluster's run lock (${describeHolder(res.error.stderrTail)}).\n` +
          `Wait for it to finish, or pass --wait to queue behind it. A lock whose run died goes 2 minutes after ` +
          `its last refresh (${CLUSTER_LOCK}).`,
      );
    if (opts.signal?.aborted)
      return err('Interrupted while waiting for the cluster run lock: nothing was started.');
    await new Promise((r) => setTimeout(r, opts.pollMs ?? POLL_MS));
  }
  const timer = setInterval(() => void run(refreshScript()), REFRESH_MS);
  timer.unref();
  return ok({
    async release() {
      clearInterval(timer);
      await run(releaseScript());
    },
  });
}
