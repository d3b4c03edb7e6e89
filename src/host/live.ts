// What the host actually has, as read before planning. Pure data: produced by the host layer, consumed by the
// planner's live checks. Values are kept as Proxmox prints them (strings), parsing happens in the checks.
import type { GuestKind } from '../config/model.js';

export interface LiveGuest {
  id: number;
  kind: GuestKind;
  /** The node that holds it, when the host is a cluster (the API transport); one node's CLI leaves it out. */
  node?: string;
  /**
   * A cluster: the guest is not on the node the config's `node` key (`configured`) or an earlier run's placement
   * names (`from`), but on `node`: HA or someone migrated it. Phoenix works on it where it is and moves nothing.
   */
  moved?: { from: string; configured: boolean };
  /** `running`, `stopped`, or another QMP run state for VMs (`paused`, ...). */
  status: string;
  /** The config's `lock:` value, when a task holds or left one. */
  lock?: string;
  template: boolean;
  /**
   * The values the guest runs with: the config file's main section, as `pct config --current` prints it (pending
   * changes not merged in). Undefined when not read.
   */
  config?: Record<string, string>;
  /**
   * Changes made while the guest ran that Proxmox keeps in `[pve:pending]` / `[PENDING]` and applies at its next
   * start (pve-container `PVE::LXC::vm_start`, qemu-server `vm_start`). Absent when there are none.
   */
  pending?: PendingChanges;
  /** Raw `lxc.*` lines of a container, in file order, as [key, value]. */
  rawLxc?: [string, string][];
  /** Snapshot names (without the `current` pseudo-entry). Undefined when not read. */
  snapshots?: string[];
  /**
   * Identity of this incarnation of the guest, so one deleted and re-created behind Phoenix's back is not
   * mistaken for the old one (VM: smbios1 uuid; CT: the MAC Proxmox generated for net0 plus the rootfs volume).
   */
  incarnation?: string;
}

export interface PendingChanges {
  /** Key -> the value it takes at the next start. */
  set: Record<string, string>;
  /** Keys removed at the next start. */
  delete: string[];
}

/** The config the guest will have after its next start: the current values with the pending changes applied. */
export function configAfterStart(
  g: Pick<LiveGuest, 'config' | 'pending'>,
): Record<string, string> | undefined {
  if (!g.config || !g.pending) return g.config;
  const merged = { ...g.config, ...g.pending.set };
  for (const key of g.pending.delete) delete merged[key];
  return merged;
}

/** A path on the host as `lstat` sees it (a final symbolic link is not followed). */
export interface HostPathInfo {
  kind: 'dir' | 'file' | 'link' | 'other';
  uid: number;
  gid: number;
}

export interface LiveState {
  node: string;
  guests: Map<number, LiveGuest>;
  /** Storage IDs that exist on the node, when read. */
  storages?: Set<string>;
  /** Host files a step checks (`/etc/subuid`, `/etc/subgid`), when read: null when missing. */
  hostFiles?: Map<string, string | null>;
  /** Host folders the config's bind mounts name, when read: null when missing. */
  hostPaths?: Map<string, HostPathInfo | null>;
  /**
   * `/proc/mounts` inside running VMs with NFS volumes, as their guest agent printed it (`qm guest exec`); a VM
   * whose agent did not answer is left out.
   */
  guestMounts?: Map<number, string>;
}
