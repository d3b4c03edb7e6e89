// The cluster state as the server last parsed it, kept while the files it came from stay as they were: a real
// pveproxy answers reads from memory, and re-reading state.json, every guest's conf file and the process files for
// each request made a no-op LetsGo of 60 guests spend most of its time here. Any change to one of those files (a
// simulated command's write renames state.json; a hand edit of a conf file changes its size or mtime) is seen by
// the next read. A file changed in the same clock tick as the read could keep its mtime and size, so a read whose
// files changed less than RACY_MS before it is not kept (git's "racily clean" rule).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { recordReads } from '../file-reads.js';
import { loadSimConfig, type SimConfig } from '../simconfig.js';
import { readCluster, STATE_FILE, type ClusterState } from '../state.js';

/** Longer than a file system's timestamp tick (a jiffy: 1 to 10 ms) with room to spare. */
const RACY_MS = 50;

export interface StateSnapshot {
  cfg: SimConfig;
  /** Frozen: shared by every request until a file changes (a handler that wrote to it would throw). */
  cluster: ClusterState;
}

/** What identifies a file's content without reading it: inode, size, mtime and ctime (ns), or absent. */
function stamp(path: string): { key: string; changedMs: number } {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (st === undefined) return { key: '-', changedMs: 0 };
  const changed = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
  return { key: `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, changedMs: Number(changed / 1_000_000n) };
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

/**
 * A reader of `dir`'s cluster state that parses it again only when a file it was read from has changed. `now`: the
 * clock the racy rule compares mtimes with (tests).
 */
export function cachedState(dir: string, now: () => number = Date.now): () => StateSnapshot {
  let kept: { files: string[]; keys: string[]; snapshot: StateSnapshot } | undefined;
  return () => {
    if (kept !== undefined && kept.files.every((f, i) => stamp(f).key === kept!.keys[i]))
      return kept.snapshot;
    const startedMs = now();
    const read = recordReads(() => {
      const cfg = loadSimConfig(dir);
      return { cfg, cluster: readCluster(dir, cfg) };
    });
    // Stamped after the read: a file changed meanwhile has a newer mtime than startedMs - RACY_MS, so it is not kept.
    const stamps = read.files.map(stamp);
    kept = undefined;
    // A fresh folder (no state.json yet) is not kept: its first write is near.
    const settled = stamps.every((s) => s.changedMs < startedMs - RACY_MS);
    if (settled && stamps[read.files.indexOf(join(dir, STATE_FILE))]?.key !== '-')
      kept = { files: read.files, keys: stamps.map((s) => s.key), snapshot: deepFreeze(read.value) };
    return read.value;
  };
}
