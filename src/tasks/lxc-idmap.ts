// How a container's user and group ids map to host ids. Proxmox gives an unprivileged container
// `u 0 100000 65536` / `g 0 100000 65536` when its config has no `lxc.idmap` line (pve-container `LXC.pm`
// `parse_id_maps`), and writes no default once one is there (`update_lxc_config`): so the `id_maps` a config
// declares become complete maps, the declared ranges with the usual shift around them (docs/proxmox-facts.md F14).
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

type Declared = LxcGuest['config']['id_maps'][number];

const letter = (t: Declared['type']): 'u' | 'g' => (t === 'uid' ? 'u' : 'g');

/**
 * The complete map of one type for declared entries: each declared range as given, every container id between
 * them shifted by 100000 (`g 33 33 1` gives `g 0 100000 33`, `g 33 33 1`, `g 34 100034 65502`).
 */
export function completeMap(declared: readonly Declared[], type: 'u' | 'g'): IdMapEntry[] {
  const own = declared
    .filter((d) => letter(d.type) === type)
    .map((d) => ({ type, container: d.container_id, host: d.host_id, size: d.size }))
    .sort((a, b) => a.container - b.container);
  const out: IdMapEntry[] = [];
  let next = 0;
  for (const e of own) {
    if (e.container > next)
      out.push({ type, container: next, host: DEFAULT_SHIFT + next, size: e.container - next });
    out.push(e);
    next = Math.max(next, e.container + e.size);
  }
  if (next < DEFAULT_RANGE)
    out.push({ type, container: next, host: DEFAULT_SHIFT + next, size: DEFAULT_RANGE - next });
  return out;
}

/** The container's id map of one type (privileged: none, its ids are the host's). */
export function idMapOf(g: LxcGuest, type: 'u' | 'g'): IdMapEntry[] {
  if (!g.config.unprivileged) return [];
  return completeMap(g.config.id_maps, type);
}

/** The `lxc.idmap` values the config asks for (none without `id_maps`: Proxmox's default applies). */
export function idMapLines(g: LxcGuest): string[] {
  if (g.config.id_maps.length === 0) return [];
  return [...idMapOf(g, 'u'), ...idMapOf(g, 'g')].map(formatEntry);
}

export const formatEntry = (e: IdMapEntry): string => `${e.type} ${e.container} ${e.host} ${e.size}`;

/** The host id a container id maps to (an id outside every range stays as it is: nobody, seen from inside). */
export function hostIdOf(g: LxcGuest, type: 'u' | 'g', id: number): number {
  const e = idMapOf(g, type).find((x) => id >= x.container && id < x.container + x.size);
  return e ? e.host + (id - e.container) : id;
}

/**
 * Two entries of one type that map a container id or a host id twice, as pve-container `LXC.pm`
 * `validate_id_maps` words it; undefined when the map is sound.
 */
export function mapOverlap(entries: readonly IdMapEntry[]): string | undefined {
  for (const side of ['container', 'host'] as const) {
    const sorted = [...entries].sort((a, b) => a[side] - b[side]);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur[side] < prev[side] + prev.size)
        return `invalid map entry '${formatEntry(cur)}': ${side} ${cur.type}id ${cur[side]} is also mapped by entry '${formatEntry(prev)}'`;
    }
  }
  return undefined;
}

/** `/etc/subuid` / `/etc/subgid` lines root needs for a map: one per range (docs/proxmox-facts.md F14.2). */
export function subIdNeeds(entries: readonly IdMapEntry[]): { start: number; size: number }[] {
  return entries.map((e) => ({ start: e.host, size: e.size }));
}

/** Ranges root holds in a subuid/subgid file's text. */
export function rootRanges(text: string | undefined): { start: number; size: number }[] {
  const out: { start: number; size: number }[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^root:(\d+):(\d+)\s*$/.exec(line.trim());
    if (m) out.push({ start: Number(m[1]), size: Number(m[2]) });
  }
  return out;
}

/** Whether root's ranges cover [start, start + size). */
export function covered(
  ranges: readonly { start: number; size: number }[],
  need: { start: number; size: number },
): boolean {
  let at = need.start;
  const end = need.start + need.size;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start <= at && r.start + r.size > at) at = r.start + r.size;
    if (at >= end) return true;
  }
  return at >= end;
}
