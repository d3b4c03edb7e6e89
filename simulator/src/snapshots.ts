// Snapshots, shared by pct and qm: create/delete/rollback on the state and the `listsnapshot` tree.
import { PveError } from './errors.js';
import type { GuestState, SnapshotState } from './state.js';

export const RESERVED = { lxc: ['current', 'vzdump'], qemu: ['current', 'pending'] } as const;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time as `YYYY-MM-DD HH:MM:SS`. */
export function localTime(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** The `listsnapshot` tree: roots oldest first, children by snaptime, `current` last under its parent. */
export function snapshotTree(g: GuestState): string {
  const snaps = g.snapshots;
  const children: Record<string, string[]> = { '': [] };
  for (const name of Object.keys(snaps)) children[name] = [];
  const byTime = Object.keys(snaps).sort(
    (a, b) => snaps[a]!.snaptime - snaps[b]!.snaptime || a.localeCompare(b),
  );
  for (const name of byTime) {
    const p = snaps[name]!.config.parent;
    children[p && snaps[p] ? p : '']!.push(name);
  }
  const cur = g.config.parent && snaps[g.config.parent] ? g.config.parent : '';
  children[cur]!.push('current');
  let out = '';
  const walk = (name: string, depth: number): void => {
    const prefix = ' '.repeat(depth) + '`->';
    const width = Math.max(0, 30 - prefix.length);
    let time = '';
    let desc = 'You are here!';
    if (name !== 'current') {
      const s = snaps[name]!;
      time = localTime(s.snaptime);
      desc = s.description ? s.description.split('\n')[0]! : 'no-description';
    }
    out += `${prefix} ${name.padEnd(width)} ${time.padEnd(23)} ${desc}\n`;
    for (const c of children[name] ?? []) walk(c, depth + 1);
  };
  for (const root of children['']!) walk(root, 0);
  return out;
}

export function checkSnapshotName(g: GuestState, name: string): void {
  if ((RESERVED[g.type] as readonly string[]).includes(name)) {
    throw new PveError(`unable to use snapshot name '${name}' (reserved name)`);
  }
  if (g.snapshots[name]) throw new PveError(`snapshot name '${name}' already used`);
}

export function getSnapshot(g: GuestState, name: string): SnapshotState {
  const s = g.snapshots[name];
  if (!s) throw new PveError(`snapshot '${name}' does not exist`);
  return s;
}

export function takeSnapshot(g: GuestState, name: string, nowMs: number, description?: string): void {
  const config = { ...g.config };
  delete config.lock;
  delete config.parent;
  const snap: SnapshotState = {
    config,
    lxc: g.lxc.map(([k, v]) => [k, v]),
    snaptime: Math.floor(nowMs / 1000),
  };
  if (g.config.parent) snap.config.parent = g.config.parent;
  if (description) snap.description = description;
  g.snapshots[name] = snap;
  g.config.parent = name;
}

export function deleteSnapshot(g: GuestState, name: string): void {
  const snap = getSnapshot(g, name);
  const up = snap.config.parent;
  for (const other of Object.values(g.snapshots)) {
    if (other.config.parent === name) {
      if (up) other.config.parent = up;
      else delete other.config.parent;
    }
  }
  if (g.config.parent === name) {
    if (up) g.config.parent = up;
    else delete g.config.parent;
  }
  delete g.snapshots[name];
}

export function rollbackSnapshot(g: GuestState, name: string): void {
  const snap = getSnapshot(g, name);
  const config = { ...snap.config };
  delete config.parent;
  if (snap.config.parent === undefined) delete config.parent;
  config.parent = name;
  g.config = config;
  g.lxc = snap.lxc.map(([k, v]) => [k, v]);
  g.pending = {};
  g.pendingDelete = [];
}
