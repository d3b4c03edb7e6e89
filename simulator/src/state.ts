// The simulator's state: one JSON document, changed in short transactions under a file lock, with the guest
// config files mirrored where a real node keeps them (etc/pve/nodes/<node>/...).
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, sep } from 'node:path';
import { importConfFile, renderConfFile, renderStorageCfg, renderVmlist } from './conffile.js';
import { crypto } from './crypto.js';
import type { ContentType, SimConfig, StorageDef } from './simconfig.js';
import { allStorages } from './simconfig.js';
import { reapProcesses, writeProcesses } from './processes.js';

export type GuestType = 'lxc' | 'qemu';

export interface SnapshotState {
  config: Record<string, string>;
  lxc: [string, string][];
  /** Epoch seconds. */
  snaptime: number;
  description?: string;
  snapstate?: string;
}

export interface ExecRecord {
  /** Epoch ms. */
  t: number;
  /** `pct exec` or `qm guest exec`. */
  via: string;
  /** The command and its arguments as run inside the guest. */
  cmd: string[];
  exit: number;
  /**
   * `pct exec` only: whether the command got the environment of the process that called pct (`--keep-env 1`,
   * pct's default: lxc-attach `--keep-env`) rather than a cleared one (`--keep-env 0`: `--clear-env`).
   */
  hostEnv?: boolean;
}

export interface PushRecord {
  t: number;
  /** Path of the local (host) file. */
  src: string;
  /** Path inside the guest. */
  dest: string;
  sha256: string;
  size: number;
  perms?: string;
  user?: string;
  group?: string;
}

export interface FileRecord {
  sha256: string;
  size: number;
  perms?: string;
  /** Base64 content, kept for files up to 1 MiB so `pct pull` can return it. */
  content?: string;
  t: number;
}

export interface GuestState {
  vmid: number;
  type: GuestType;
  /** Main config section (decoded description under `description`; `lock`, `parent`, `template` as in the file). */
  config: Record<string, string>;
  /** Raw `lxc.*` lines, in file order. */
  lxc: [string, string][];
  pending: Record<string, string>;
  pendingDelete: string[];
  snapshots: Record<string, SnapshotState>;
  /** VM: the `[special:cloudinit]` section. */
  cloudinit?: Record<string, string>;
  status: 'running' | 'stopped';
  /** Epoch ms of creation (for /cluster/resources staleness). */
  createdAt: number;
  startedAt?: number;
  pid?: number;
  /** Status changes, newest last (epoch ms). */
  statusLog: { t: number; status: string }[];
  execs: ExecRecord[];
  pushes: PushRecord[];
  /** Files pushed into the guest, by path. */
  files: Record<string, FileRecord>;
  /** sha1 of the mirrored conf file as last written (detects hand edits). */
  mirrorHash?: string;
  /** .vmlist version at which the guest was added. */
  listVersion: number;
  /** VM: false when its disk has no QEMU guest agent (a cloud image's; see cloud-init-boot.ts). */
  guestAgent?: boolean;
  /** VM: the cloud-init instance its last boot ran, and the data it ran (cloud-init-boot.ts). */
  cloudInitRun?: { instance: string; user: string; vendor: string };
}

export interface VolumeState {
  format: string;
  content: ContentType;
  /** Bytes. */
  size: number;
  vmid?: number;
  /** A disk image without the QEMU guest agent (a downloaded cloud image): VMs imported from it lack it too. */
  guestAgent?: boolean;
}

export interface StorageState extends StorageDef {
  /** Keyed by volume name (the part after `sid:`). */
  volumes: Record<string, VolumeState>;
  /** The sim.json (or default) definition last applied, so a `pvesm set` since then is kept until it changes. */
  applied?: string;
}

export interface SimState {
  version: 1;
  node: string;
  vmlistVersion: number;
  storages: Record<string, StorageState>;
  guests: Record<string, GuestState>;
  /** Calls that matched each fault rule so far, keyed by rule index + match. */
  faultCounters: Record<string, number>;
  execCounters: Record<string, number>;
  nextPid: number;
}

export const STATE_FILE = 'state.json';
export const CALLS_FILE = 'calls.jsonl';

export function initialState(cfg: SimConfig): SimState {
  const storages: Record<string, StorageState> = {};
  for (const [sid, def] of Object.entries(allStorages(cfg)))
    storages[sid] = { ...def, volumes: {}, applied: JSON.stringify(def) };
  return {
    version: 1,
    node: cfg.node,
    vmlistVersion: 1,
    storages,
    guests: {},
    faultCounters: {},
    execCounters: {},
    nextPid: 20000,
  };
}

/**
 * Storages from sim.json that appeared after the state was created are added (never removed); a definition that
 * changed in sim.json is applied again. Otherwise the state wins, so what `pvesm set` changed stays.
 */
function reconcileStorages(state: SimState, cfg: SimConfig): void {
  for (const [sid, def] of Object.entries(allStorages(cfg))) {
    const cur = state.storages[sid];
    const applied = JSON.stringify(def);
    if (!cur) state.storages[sid] = { ...def, volumes: {}, applied };
    else if (cur.applied !== applied) Object.assign(cur, def, { volumes: cur.volumes, applied });
  }
}

export function confDir(dir: string, node: string, type: GuestType): string {
  return join(dir, 'etc', 'pve', 'nodes', node, type === 'lxc' ? 'lxc' : 'qemu-server');
}

export function confPath(dir: string, node: string, g: { vmid: number; type: GuestType }): string {
  return join(confDir(dir, node, g.type), `${g.vmid}.conf`);
}

const sha1 = (s: string): string => crypto().createHash('sha1').update(s).digest('hex');

/**
 * Picks up hand edits of the mirrored conf files (e.g. raw lxc.* lines appended by Phoenix). Returns the text of
 * each file found exactly as rendered from the state, by vmid: a transaction need not hash or rewrite those again.
 */
function importEdits(dir: string, state: SimState): Map<number, string> {
  const current = new Map<number, string>();
  // Every call reads every guest's file: join() once per type, not once per guest.
  const dirs = { lxc: confDir(dir, state.node, 'lxc') + sep, qemu: confDir(dir, state.node, 'qemu') + sep };
  for (const g of Object.values(state.guests)) {
    if (!g.mirrorHash) continue;
    let text: string;
    try {
      text = readFileSync(`${dirs[g.type]}${g.vmid}.conf`, 'utf8');
    } catch {
      continue;
    }
    // What the simulator last wrote (the usual case) needs no hash: the conf files are rendered from the state.
    if (text === renderConfFile(g)) {
      current.set(g.vmid, text);
      continue;
    }
    if (sha1(text) !== g.mirrorHash) {
      importConfFile(g, text);
      g.mirrorHash = sha1(text);
    }
  }
  return current;
}

function readStateFile(dir: string, cfg: SimConfig): SimState {
  let state: SimState;
  try {
    state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as SimState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    state = initialState(cfg);
    writeFreshStorageCfg(dir, state);
  }
  reconcileStorages(state, cfg);
  return state;
}

/**
 * A node always has `/etc/pve/storage.cfg`; before the first write of a fresh folder it is the initial one. Written
 * next to its place and renamed, so parallel first calls (same content) cannot leave half a file.
 */
function writeFreshStorageCfg(dir: string, state: SimState): void {
  const file = join(dir, 'etc', 'pve', 'storage.cfg');
  if (existsSync(file)) return;
  try {
    mkdirSync(join(dir, 'etc', 'pve'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, renderStorageCfg(state.storages));
    renameSync(tmp, file);
  } catch {
    // a read-only folder: the first write makes it
  }
}

/**
 * A consistent snapshot of the state without taking the lock (writes are atomic renames), as the node sees it:
 * hand edits of the conf files imported, guests whose process is gone stopped.
 */
export function readState(dir: string, cfg: SimConfig): SimState {
  const state = readStateFile(dir, cfg);
  reapProcesses(dir, state);
  importEdits(dir, state);
  return state;
}

function writeMirrors(
  dir: string,
  before: SimState | undefined,
  state: SimState,
  current: Map<number, string>,
): void {
  const node = state.node;
  for (const t of ['lxc', 'qemu'] as const) mkdirSync(confDir(dir, node, t), { recursive: true });
  for (const [link, target] of [
    ['local', `nodes/${node}`],
    ['lxc', `nodes/${node}/lxc`],
    ['qemu-server', `nodes/${node}/qemu-server`],
  ] as const) {
    const p = join(dir, 'etc', 'pve', link);
    if (!existsSync(p)) {
      try {
        symlinkSync(target, p);
      } catch {
        // a parallel first call made it
      }
    }
  }
  for (const g of Object.values(state.guests)) {
    const text = renderConfFile(g);
    // Unchanged since it was read (exec, push, start...): most writes then load no node:crypto at all.
    if (current.get(g.vmid) === text) continue;
    const h = sha1(text);
    if (h !== g.mirrorHash) {
      writeFileAtomic.sync(confPath(dir, node, g), text, { fsync: false });
      g.mirrorHash = h;
    }
  }
  const storageCfg = join(dir, 'etc', 'pve', 'storage.cfg');
  const storageText = renderStorageCfg(state.storages);
  if (!existsSync(storageCfg) || readFileSync(storageCfg, 'utf8') !== storageText)
    writeFileAtomic.sync(storageCfg, storageText, { fsync: false });
  const ids = Object.values(state.guests).map((g) => ({
    vmid: g.vmid,
    type: g.type,
    version: g.listVersion,
  }));
  if (before) {
    for (const g of Object.values(before.guests)) {
      if (!state.guests[g.vmid]) {
        try {
          unlinkSync(confPath(dir, node, g));
        } catch {
          // already gone
        }
      }
    }
  }
  const sameSet =
    before !== undefined &&
    Object.keys(before.guests).length === ids.length &&
    ids.every((g) => before.guests[g.vmid]?.type === g.type);
  if (!sameSet || !existsSync(join(dir, 'etc', 'pve', '.vmlist'))) {
    if (before && !sameSet) state.vmlistVersion += 1;
    writeFileAtomic.sync(join(dir, 'etc', 'pve', '.vmlist'), renderVmlist(state.vmlistVersion, node, ids), {
      fsync: false,
    });
  }
  writeProcesses(dir, before, state);
}

const LOCK_OPTS = {
  realpath: false,
  stale: 5000,
  retries: { retries: 2000, factor: 1.3, minTimeout: 2, maxTimeout: 25 },
};

// Loaded on the first write only: read-only calls (list, config, status) are most calls, and start-up is what
// every simulated call costs.
let writeFileAtomic: typeof import('write-file-atomic');

async function withFileLock<T>(dir: string, fn: () => T): Promise<T> {
  const [{ default: lockfile }, wfa] = await Promise.all([
    import('proper-lockfile'),
    import('write-file-atomic'),
  ]);
  writeFileAtomic = wfa.default;
  const release = await lockfile.lock(join(dir, STATE_FILE), {
    ...LOCK_OPTS,
    lockfilePath: join(dir, 'state.lock'),
  });
  try {
    return fn();
  } finally {
    await release();
  }
}

/**
 * Runs fn on the current state under the lock; writes the state and mirrors if fn changed anything. When fn
 * throws, nothing is written.
 */
export async function transact<T>(dir: string, cfg: SimConfig, fn: (state: SimState) => T): Promise<T> {
  return withFileLock(dir, () => {
    const existed = existsSync(join(dir, STATE_FILE));
    const state = readStateFile(dir, cfg);
    const current = importEdits(dir, state);
    const storedText = JSON.stringify(state);
    // A guest stopped because its process is gone is a change to store, but not a stop whose files go: a stale
    // pid file stays where it is, as on a node.
    const beforeText = reapProcesses(dir, state) > 0 ? JSON.stringify(state) : storedText;
    const before = JSON.parse(beforeText) as SimState;
    const result = fn(state);
    if (!existed || JSON.stringify(state) !== storedText) {
      writeMirrors(dir, existed ? before : undefined, state, current);
      writeFileAtomic.sync(join(dir, STATE_FILE), JSON.stringify(state), { fsync: false });
    }
    return result;
  });
}

/**
 * Appends one line to calls.jsonl. One O_APPEND write of a short line is atomic on a local file system, so
 * parallel calls never interleave and no lock is needed.
 */
export function appendCall(dir: string, line: object): void {
  appendFileSync(join(dir, CALLS_FILE), JSON.stringify(line) + '\n');
}
