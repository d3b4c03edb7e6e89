// How a container's user and group ids map to host ids. Proxmox gives an unprivileged container
// `u 0 100000 65536` / `g 0 100000 65536` when its config has no `lxc.idmap` line (pve-container `LXC.pm`
// `parse_id_maps`); a privileged container uses the host's ids.
import type { LxcGuest } from '../config/model.js';

/** One `lxc.idmap` entry: container ids [container, container + size) are host ids [host, host + size). */
export interface IdMapEntry {
  type: 'u' | 'g';
  container: number;
  host: number;
  size: number;
}

/** Proxmox's map for an unprivileged container without `lxc.idmap` lines. */
export const DEFAULT_SHIFT = 100000;
export const DEFAULT_RANGE = 65536;

/** The container's id map entries of one type (privileged: none, ids are the host's). */
export function idMapOf(g: LxcGuest, type: 'u' | 'g'): IdMapEntry[] {
  if (!g.config.unprivileged) return [];
  return [{ type, container: 0, host: DEFAULT_SHIFT, size: DEFAULT_RANGE }];
}

/** The host id a container id maps to (an id outside every range stays as it is: nobody, seen from inside). */
export function hostIdOf(g: LxcGuest, type: 'u' | 'g', id: number): number {
  const e = idMapOf(g, type).find((x) => id >= x.container && id < x.container + x.size);
  return e ? e.host + (id - e.container) : id;
}
