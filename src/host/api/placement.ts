// Where a guest without a `node` key goes: pure, over one /cluster/resources view. A clone goes beside its source
// (a linked clone cannot leave its base; a full one would cross the network for nothing). Any other guest goes to
// the online node with the most free memory (maxmem - mem as pvestatd reports it, less what this pass already
// placed there) among the nodes that have its storage; ties go to the first name. The engine records each choice,
// so a guest lands where the first plan said, whatever the memory later says.
import type { ClusterView } from './view.js';

export interface PlacementRequest {
  id: number;
  /** The storage its disks go on (`storage_pool`). */
  storage: string;
  /** MiB. */
  memoryMb: number;
  /** The guest it is cloned from, when it is a clone. */
  cloneFrom?: number;
}

export interface Placed {
  node: string;
  /** Why, for plans and the run log. */
  why: string;
}

/**
 * Places `requests` (in order) that have no node yet: `known` holds the guests already placed (config key, an
 * earlier choice, or where the cluster shows them). Returns the new choices; a guest no node can take is left out.
 */
export function placeGuests(
  view: ClusterView,
  requests: readonly PlacementRequest[],
  known: ReadonlyMap<number, string>,
): Map<number, Placed> {
  const chosen = new Map<number, Placed>();
  const nodeOf = (id: number): string | undefined =>
    known.get(id) ?? chosen.get(id)?.node ?? view.guests.get(id)?.node;
  const free = new Map<string, number>();
  for (const n of view.nodes.values()) if (n.online) free.set(n.name, (n.maxmem ?? 0) - (n.mem ?? 0));
  // Clones wait for their source's place; a chain of clones takes one pass per link.
  const waiting = [...requests];
  for (let progress = true; progress && waiting.length > 0;) {
    progress = false;
    for (const r of [...waiting]) {
      // Beside the source where it is now: one HA or a migration moved is cloned on its new node.
      const source =
        r.cloneFrom === undefined ? undefined : (view.guests.get(r.cloneFrom)?.node ?? nodeOf(r.cloneFrom));
      if (r.cloneFrom !== undefined && source === undefined && requests.some((q) => q.id === r.cloneFrom))
        continue;
      waiting.splice(waiting.indexOf(r), 1);
      progress = true;
      if (nodeOf(r.id) !== undefined) continue;
      if (source !== undefined)
        chosen.set(r.id, { node: source, why: `beside its clone source ${String(r.cloneFrom)}` });
      else placeOne(r);
    }
  }
  return chosen;

  function placeOne(r: PlacementRequest): void {
    const candidates = [...free.keys()]
      .filter((n) => view.storages.get(r.storage)?.has(n) === true)
      .sort((a, b) => (free.get(b) ?? 0) - (free.get(a) ?? 0) || a.localeCompare(b));
    const node = candidates[0];
    if (node === undefined) return;
    free.set(node, (free.get(node) ?? 0) - r.memoryMb * 1024 * 1024);
    chosen.set(r.id, { node, why: `the most free memory among the nodes with storage ${r.storage}` });
  }
}

/**
 * The placement records to keep: a guest placed by an earlier run (it has no `node` key) that the cluster now holds
 * on another node (HA, a migration) is recorded where it is, since the user never asked for the old node. The run
 * that sees it reports it as moved once; later runs do not. Guests with a `node` key are never followed.
 */
export function followMoved(
  recorded: ReadonlyMap<number, string>,
  view: ClusterView,
  keyed: (id: number) => boolean,
): Map<number, string> {
  const out = new Map(recorded);
  for (const [id, node] of recorded) {
    const now = view.guests.get(id)?.node;
    if (now !== undefined && now !== node && !keyed(id)) out.set(id, now);
  }
  return out;
}
