// The cluster as one `GET /cluster/resources` shows it: nodes with their memory, storages per node (shared or
// local, which content), and every guest with its node and lock. Existence, node, lock and tags come from pmxcfs
// and are current; status, name and template come from pvestatd's broadcast and lag up to ~12 s (pve-manager
// PVE/API2/Cluster.pm `resources`; PVE/Service/pvestatd.pm broadcasts every 10 s), so callers treat those as hints.
import type { GuestKind } from '../../config/model.js';
import type { GuestResource, NodeResource, ResourceEntry, StorageResource } from './schemas.js';

export interface NodeView {
  name: string;
  online: boolean;
  /** Bytes, when the token may see node stats (Sys.Audit). */
  maxmem?: number;
  mem?: number;
}

export interface StorageView {
  storage: string;
  node: string;
  shared: boolean;
  content: Set<string>;
  /** `available` once pvestatd reported it, `unknown` before. */
  status?: string;
  type?: string;
}

export interface GuestView {
  id: number;
  kind: GuestKind;
  node: string;
  /** Lagging: see the module comment. `unknown` for a guest younger than the last broadcast. */
  status?: string;
  lock?: string;
  template?: boolean;
  name?: string;
}

export interface ClusterView {
  nodes: Map<string, NodeView>;
  /** storage ID -> node -> entry (a storage is listed once per node it is enabled on). */
  storages: Map<string, Map<string, StorageView>>;
  guests: Map<number, GuestView>;
  /** When it was read (ms since the epoch). */
  readAt: number;
}

const isType =
  <T extends ResourceEntry>(type: string | readonly string[]) =>
  (e: ResourceEntry): e is T =>
    typeof type === 'string' ? e.type === type : type.includes(e.type);

export function clusterView(entries: readonly ResourceEntry[], readAt = Date.now()): ClusterView {
  const view: ClusterView = { nodes: new Map(), storages: new Map(), guests: new Map(), readAt };
  for (const n of entries.filter(isType<NodeResource>('node'))) {
    view.nodes.set(n.node, {
      name: n.node,
      online: n.status === 'online',
      ...(n.maxmem !== undefined && { maxmem: n.maxmem }),
      ...(n.mem !== undefined && { mem: n.mem }),
    });
  }
  for (const s of entries.filter(isType<StorageResource>('storage'))) {
    const perNode = view.storages.get(s.storage) ?? new Map<string, StorageView>();
    perNode.set(s.node, {
      storage: s.storage,
      node: s.node,
      shared: s.shared ?? false,
      content: new Set((s.content ?? '').split(',').filter(Boolean)),
      ...(s.status !== undefined && { status: s.status }),
      ...(s.plugintype !== undefined && { type: s.plugintype }),
    });
    view.storages.set(s.storage, perNode);
  }
  for (const g of entries.filter(isType<GuestResource>(['lxc', 'qemu']))) {
    view.guests.set(g.vmid, {
      id: g.vmid,
      kind: g.type === 'lxc' ? 'lxc' : 'vm',
      node: g.node,
      ...(g.status !== undefined && { status: g.status }),
      ...(g.lock !== undefined && g.lock !== '' && { lock: g.lock }),
      ...(g.template !== undefined && { template: g.template }),
      ...(g.name !== undefined && { name: g.name }),
    });
  }
  return view;
}

/** Whether a storage is shared: every node that has it says so. Undefined when no node lists it. */
export function isShared(view: ClusterView, storage: string): boolean | undefined {
  const entries = [...(view.storages.get(storage)?.values() ?? [])];
  return entries.length === 0 ? undefined : entries.every((e) => e.shared);
}
