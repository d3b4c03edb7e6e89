// What the host actually has, as read before planning. Pure data: produced by the host layer, consumed by the
// planner's live checks. Values are kept as Proxmox prints them (strings), parsing happens in the checks.
import type { GuestKind } from '../config/model.js';

export interface LiveGuest {
  id: number;
  kind: GuestKind;
  /** `running`, `stopped`, or another QMP run state for VMs (`paused`, ...). */
  status: string;
  /** The config's `lock:` value, when a task holds or left one. */
  lock?: string;
  template: boolean;
  /** Main config section, key -> value as `pct config` / `qm config` print them. Undefined when not read. */
  config?: Record<string, string>;
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

export interface LiveState {
  node: string;
  guests: Map<number, LiveGuest>;
  /** Storage IDs that exist on the node, when read. */
  storages?: Set<string>;
}
