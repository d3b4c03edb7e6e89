// The simulator's state: one JSON document for the whole simulated cluster, changed in short transactions under a
// file lock, with the guest config files mirrored where pmxcfs keeps them (etc/pve/nodes/<node>/...). Commands see
// it as one node does (a SimState view: that node's guests and storages); the cluster behind a view is clusterOf.
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
import { readText } from './file-reads.js';

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
  /** VM: its `/etc/fstab` when changed from the image's, and the NFS shares mounted now (guest-mounts.ts). */
  fstab?: string;
  nfsMounts?: { source: string; target: string }[];
  /** The node whose `nodes/<node>/` folder holds the config (set when a view is folded back into the cluster). */
  node?: string;
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

/** The cluster as one node sees it: what commands run on that node work on. */
export interface SimState {
  version: 2;
  /** The node acting. */
  node: string;
  /** Every node of the cluster, in order (the first is the default one). */
  nodes: string[];
  vmlistVersion: number;
  /** The storages this node has, each with the volumes this node sees (its own, or the shared ones). */
  storages: Record<string, StorageState>;
  /** The guests whose config lives on this node. */
  guests: Record<string, GuestState>;
  /** Calls that matched each fault rule so far, keyed by rule index + match. */
  faultCounters: Record<string, number>;
  execCounters: Record<string, number>;
  nextPid: number;
}

/** What state.json holds: the whole cluster. */
export interface ClusterState {
  version: 2;
  nodes: string[];
  vmlistVersion: number;
  /** storage.cfg: every storage's definition; `volumes` holds a shared storage's volumes (empty for local ones). */
  storages: Record<string, StorageState>;
  /** Volumes of node-local storages: node -> storage -> volume name -> volume. */
  nodeVolumes: Record<string, Record<string, Record<string, VolumeState>>>;
  /** Every guest of the cluster, with its `node`. */
  guests: Record<string, GuestState>;
  faultCounters: Record<string, number>;
  execCounters: Record<string, number>;
  nextPid: number;
}

export const STATE_FILE = 'state.json';
export const CALLS_FILE = 'calls.jsonl';

/** The nodes a fresh state starts with: sim.json's `nodes`, else its `node`. */
export function configNodes(cfg: SimConfig): string[] {
  return cfg.nodes && cfg.nodes.length > 0 ? [...cfg.nodes] : [cfg.node];
}

export function initialState(cfg: SimConfig): ClusterState {
  const storages: Record<string, StorageState> = {};
  for (const [sid, def] of Object.entries(allStorages(cfg)))
    storages[sid] = { ...def, volumes: {}, applied: JSON.stringify(def) };
  return {
    version: 2,
    nodes: configNodes(cfg),
    vmlistVersion: 1,
    storages,
    nodeVolumes: {},
    guests: {},
    faultCounters: {},
    execCounters: {},
    nextPid: 20000,
  };
}

/** A shared storage has one set of volumes for every node (PVE: nfs, or any storage marked `shared`). */
export function isShared(def: StorageDef): boolean {
  return def.shared ?? def.type === 'nfs';
}

/** Whether storage.cfg makes the storage available on the node (no `nodes` list: on every node). */
export function storageOnNode(def: StorageDef, node: string): boolean {
  return def.nodes === undefined || def.nodes.includes(node);
}

/** A version 1 state (one node, guests and volumes without a node) as a cluster of that one node. */
function upgrade(
  raw: ClusterState | (Omit<ClusterState, 'version' | 'nodes' | 'nodeVolumes'> & V1),
): ClusterState {
  if (raw.version === 2) return raw;
  const { node, ...rest } = raw;
  const nodeVolumes: ClusterState['nodeVolumes'] = { [node]: {} };
  for (const [sid, st] of Object.entries(rest.storages)) {
    if (isShared(st)) continue;
    nodeVolumes[node]![sid] = st.volumes;
    st.volumes = {};
  }
  for (const g of Object.values(rest.guests)) g.node = node;
  return { ...rest, version: 2, nodes: [node], nodeVolumes };
}

interface V1 {
  version: 1;
  node: string;
}

const clusters = new WeakMap<SimState, ClusterState>();

/** The cluster behind a node's view (cluster-wide reads: VMIDs, resources; moving a guest to another node). */
export function clusterOf(s: SimState): ClusterState {
  const c = clusters.get(s);
  if (!c) throw new Error('not a node view of the simulator state');
  return c;
}

/** The volumes of a storage as a node sees them (created empty on first use). */
export function volumesOn(c: ClusterState, node: string, sid: string): Record<string, VolumeState> {
  const st = c.storages[sid];
  if (st && isShared(st)) return st.volumes;
  return ((c.nodeVolumes[node] ??= {})[sid] ??= {});
}

/** The node's view of the cluster; its guest and volume objects are the cluster's own. */
export function nodeView(c: ClusterState, node: string): SimState {
  const storages: Record<string, StorageState> = {};
  for (const [sid, st] of Object.entries(c.storages)) {
    if (!storageOnNode(st, node)) continue;
    storages[sid] = isShared(st) ? st : { ...st, volumes: volumesOn(c, node, sid) };
  }
  const guests: Record<string, GuestState> = {};
  for (const [id, g] of Object.entries(c.guests)) if (g.node === node) guests[id] = g;
  const view: SimState = {
    version: 2,
    node,
    nodes: c.nodes,
    vmlistVersion: c.vmlistVersion,
    storages,
    guests,
    faultCounters: c.faultCounters,
    execCounters: c.execCounters,
    nextPid: c.nextPid,
  };
  clusters.set(view, c);
  return view;
}

/** Writes a view's changes back: its guests (new ones get its node), storage settings, volumes, the pid counter. */
function foldView(c: ClusterState, v: SimState): void {
  const guests: Record<string, GuestState> = {};
  // Other nodes' guests as the cluster now has them (a guest moved away by this view is among them).
  for (const [id, g] of Object.entries(c.guests)) if (g.node !== v.node) guests[id] = g;
  for (const [id, g] of Object.entries(v.guests)) {
    // pmxcfs refuses a config whose VMID another node holds; commands check first, so this is a simulator bug.
    if (guests[id]) throw new Error(`simulator: guest ${id} on ${guests[id].node} and ${v.node}`);
    g.node = v.node;
    guests[id] = g;
  }
  c.guests = guests;
  for (const [sid, st] of Object.entries(v.storages)) {
    if (c.storages[sid] === st) continue;
    const { volumes, ...def } = st;
    c.storages[sid] = { ...(c.storages[sid] ?? def), ...def, volumes: c.storages[sid]?.volumes ?? {} };
    (c.nodeVolumes[v.node] ??= {})[sid] = volumes;
  }
  c.nextPid = Math.max(c.nextPid, v.nextPid);
}

/**
 * Moves a guest (config and its node-local volumes) to another node, as a migration does; the view no longer
 * holds it.
 */
export function moveGuest(s: SimState, id: string, target: string, volids: string[]): void {
  const c = clusterOf(s);
  const g = s.guests[id];
  if (!g) return;
  for (const volid of volids) {
    const m = /^([^:]+):(.+)$/.exec(volid);
    const st = m ? c.storages[m[1]!] : undefined;
    if (!m || !st || isShared(st)) continue;
    const from = volumesOn(c, s.node, m[1]!);
    const vol = from[m[2]!];
    if (!vol) continue;
    delete from[m[2]!];
    volumesOn(c, target, m[1]!)[m[2]!] = vol;
  }
  delete s.guests[id];
  g.node = target;
  c.guests[id] = g;
}

/**
 * Storages from sim.json that appeared after the state was created are added (never removed); a definition that
 * changed in sim.json is applied again. Otherwise the state wins, so what `pvesm set` changed stays. Nodes named in
 * sim.json's `nodes` join the cluster (never leave it).
 */
function reconcile(state: ClusterState, cfg: SimConfig): void {
  for (const [sid, def] of Object.entries(allStorages(cfg))) {
    const cur = state.storages[sid];
    const applied = JSON.stringify(def);
    if (!cur) state.storages[sid] = { ...def, volumes: {}, applied };
    else if (cur.applied !== applied) Object.assign(cur, def, { volumes: cur.volumes, applied });
  }
  for (const n of cfg.nodes ?? []) if (!state.nodes.includes(n)) state.nodes.push(n);
  // Every node's local storages have a volume list, so building a view never changes the state.
  for (const node of state.nodes)
    for (const [sid, st] of Object.entries(state.storages))
      if (!isShared(st) && storageOnNode(st, node)) volumesOn(state, node, sid);
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
function importEdits(dir: string, state: ClusterState): Map<number, string> {
  const current = new Map<number, string>();
  // Every call reads every guest's file: join() once per node and type, not once per guest.
  const dirs = new Map<string, string>();
  const dirOf = (node: string, type: GuestType): string => {
    const key = `${node}/${type}`;
    let d = dirs.get(key);
    if (d === undefined) dirs.set(key, (d = confDir(dir, node, type) + sep));
    return d;
  };
  for (const g of Object.values(state.guests)) {
    if (!g.mirrorHash || !g.node) continue;
    let text: string;
    try {
      text = readText(`${dirOf(g.node, g.type)}${g.vmid}.conf`);
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

function readStateFile(dir: string, cfg: SimConfig): ClusterState {
  let state: ClusterState;
  try {
    state = upgrade(JSON.parse(readText(join(dir, STATE_FILE))) as ClusterState);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    state = initialState(cfg);
    writeFreshStorageCfg(dir, state);
  }
  reconcile(state, cfg);
  return state;
}

/**
 * A node always has `/etc/pve/storage.cfg`; before the first write of a fresh folder it is the initial one. Written
 * next to its place and renamed, so parallel first calls (same content) cannot leave half a file.
 */
function writeFreshStorageCfg(dir: string, state: ClusterState): void {
  writeFreshSubIds(dir);
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

/** A node's stock `/etc/subuid` and `/etc/subgid`: root holds the ids unprivileged containers map to (F14.2). */
function writeFreshSubIds(dir: string): void {
  for (const name of ['subuid', 'subgid']) {
    const file = join(dir, 'etc', name);
    if (existsSync(file)) continue;
    try {
      mkdirSync(join(dir, 'etc'), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, 'root:100000:65536\n');
      renameSync(tmp, file);
    } catch {
      // a read-only folder
    }
  }
}

/**
 * The process table under the simulator's folder is the first node's (the node a local Phoenix runs on); other
 * nodes' guests have no process files.
 */
function firstNodeGuests(state: ClusterState): { guests: Record<string, GuestState> } {
  const first = state.nodes[0];
  const guests: Record<string, GuestState> = {};
  for (const [id, g] of Object.entries(state.guests)) if (g.node === first) guests[id] = g;
  return { guests };
}

/**
 * The whole cluster, read without the lock (writes are atomic renames): hand edits of the conf files imported,
 * the first node's guests whose process is gone stopped.
 */
export function readCluster(dir: string, cfg: SimConfig): ClusterState {
  const state = readStateFile(dir, cfg);
  reapProcesses(dir, firstNodeGuests(state));
  importEdits(dir, state);
  return state;
}

/** A consistent snapshot of the state as `node` (default: the first node) sees it, read without the lock. */
export function readState(dir: string, cfg: SimConfig, node?: string): SimState {
  const c = readCluster(dir, cfg);
  return nodeView(c, node ?? c.nodes[0]!);
}

function writeMirrors(
  dir: string,
  before: ClusterState | undefined,
  state: ClusterState,
  current: Map<number, string>,
): void {
  for (const node of state.nodes)
    for (const t of ['lxc', 'qemu'] as const) mkdirSync(confDir(dir, node, t), { recursive: true });
  // On a node these point at its own folder; the simulator's one folder is seen from the first node.
  const first = state.nodes[0]!;
  for (const [link, target] of [
    ['local', `nodes/${first}`],
    ['lxc', `nodes/${first}/lxc`],
    ['qemu-server', `nodes/${first}/qemu-server`],
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
    const moved = before?.guests[g.vmid] !== undefined && before.guests[g.vmid]!.node !== g.node;
    // Unchanged since it was read (exec, push, start...): most writes then load no node:crypto at all.
    if (!moved && current.get(g.vmid) === text) continue;
    const h = sha1(text);
    if (moved || h !== g.mirrorHash) {
      writeFileAtomic.sync(confPath(dir, g.node!, g), text, { fsync: false });
      g.mirrorHash = h;
    }
  }
  const storageCfg = join(dir, 'etc', 'pve', 'storage.cfg');
  const storageText = renderStorageCfg(state.storages);
  if (!existsSync(storageCfg) || readFileSync(storageCfg, 'utf8') !== storageText)
    writeFileAtomic.sync(storageCfg, storageText, { fsync: false });
  if (before) {
    for (const g of Object.values(before.guests)) {
      const now = state.guests[g.vmid];
      if (!now || now.node !== g.node || now.type !== g.type) {
        try {
          unlinkSync(confPath(dir, g.node!, g));
        } catch {
          // already gone
        }
      }
    }
  }
  const ids = Object.values(state.guests).map((g) => ({
    vmid: g.vmid,
    type: g.type,
    node: g.node!,
    version: g.listVersion,
  }));
  const sameSet =
    before !== undefined &&
    Object.keys(before.guests).length === ids.length &&
    ids.every((g) => before.guests[g.vmid]?.type === g.type && before.guests[g.vmid]?.node === g.node);
  if (!sameSet || !existsSync(join(dir, 'etc', 'pve', '.vmlist'))) {
    if (before && !sameSet) state.vmlistVersion += 1;
    writeFileAtomic.sync(join(dir, 'etc', 'pve', '.vmlist'), renderVmlist(state.vmlistVersion, ids), {
      fsync: false,
    });
  }
  writeProcesses(dir, before && firstNodeGuests(before), firstNodeGuests(state));
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
 * Runs fn on the whole cluster under the lock; writes the state and mirrors if fn changed anything. When fn
 * throws, nothing is written.
 */
export async function transactCluster<T>(
  dir: string,
  cfg: SimConfig,
  fn: (state: ClusterState) => T,
): Promise<T> {
  return withFileLock(dir, () => {
    const existed = existsSync(join(dir, STATE_FILE));
    const state = readStateFile(dir, cfg);
    const current = importEdits(dir, state);
    const storedText = JSON.stringify(state);
    // A guest stopped because its process is gone is a change to store, but not a stop whose files go: a stale
    // pid file stays where it is, as on a node.
    const beforeText = reapProcesses(dir, firstNodeGuests(state)) > 0 ? JSON.stringify(state) : storedText;
    const before = JSON.parse(beforeText) as ClusterState;
    const result = fn(state);
    if (!existed || JSON.stringify(state) !== storedText) {
      writeMirrors(dir, existed ? before : undefined, state, current);
      writeFileAtomic.sync(join(dir, STATE_FILE), JSON.stringify(state), { fsync: false });
    }
    return result;
  });
}

/** Runs fn on `node`'s view (default: the first node) under the lock, as transactCluster does. */
export async function transact<T>(
  dir: string,
  cfg: SimConfig,
  fn: (state: SimState) => T,
  node?: string,
): Promise<T> {
  return transactCluster(dir, cfg, (c) => {
    const view = nodeView(c, node ?? c.nodes[0]!);
    const result = fn(view);
    foldView(c, view);
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
