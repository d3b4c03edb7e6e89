// The guest-level graph: an edge from each clone source and dependency to the guest that needs it. Guest order,
// boot order, prerequisites and clone descendants all come from it (and its algorithms from dag.ts).
import { DirectedGraph } from 'graphology';
import type { Fleet, Guest } from '../config/model.js';
import { closure, findCycles, topologicalOrder } from './dag.js';

type GuestEdge = { kind: 'clone' | 'dependency' };
type GuestGraph = DirectedGraph<Record<string, never>, GuestEdge>;

/** The fleet's guest graph, nodes in ascending ID order. */
export function guestGraph(fleet: Fleet): GuestGraph {
  const graph: GuestGraph = new DirectedGraph();
  const ids = [...fleet.guests.keys()].sort((a, b) => a - b);
  for (const id of ids) graph.addNode(String(id));
  for (const id of ids) {
    const g = fleet.guests.get(id)!;
    const needs: (readonly [number, GuestEdge['kind']])[] = [
      ...(g.cloneFrom === undefined ? [] : [[g.cloneFrom, 'clone'] as const]),
      ...g.dependencies.map((d) => [d, 'dependency'] as const),
    ];
    for (const [need, kind] of needs) {
      const from = String(need);
      if (need === id || !graph.hasNode(from) || graph.hasEdge(from, String(id))) continue;
      graph.addEdge(from, String(id), { kind });
    }
  }
  return graph;
}

/**
 * Guests in dependency order (clone sources and dependencies first), ties by ID; undefined when clones and
 * dependencies form a cycle (config validation reports it: guestCycles).
 */
export function guestOrder(fleet: Fleet): number[] | undefined {
  return topologicalOrder(guestGraph(fleet))?.map(Number);
}

/**
 * Every cycle through clones and dependencies, as ID paths whose first ID is repeated at the end, each guest
 * followed by one it needs (`720 -> 740 -> 720`: 720 needs 740, which needs 720).
 */
export function guestCycles(fleet: Fleet): number[][] {
  // Edges run from what is needed to who needs it: a path along them, reversed, reads "needs".
  return findCycles(guestGraph(fleet)).map((path) => path.map(Number).reverse());
}

/** The guests a guest needs before it can be built: clone ancestors and dependencies, transitively. */
export function prerequisites(fleet: Fleet, id: number): number[] {
  const all = closure(guestGraph(fleet), [String(id)], 'in');
  all.delete(String(id));
  return [...all].map(Number);
}

/** Guests cloned from `id`, transitively (what deleting `id` would strand). */
export function cloneDescendants(fleet: Fleet, id: number): number[] {
  const all = closure(guestGraph(fleet), [String(id)], 'out', (e) => e.kind === 'clone');
  all.delete(String(id));
  return [...all].map(Number).sort((a, b) => a - b);
}

/** Rank of each guest in guestOrder (a cycle leaves the order by ID). */
function ranks(fleet: Fleet): Map<number, number> {
  const order = guestOrder(fleet) ?? [...fleet.guests.keys()].sort((a, b) => a - b);
  return new Map(order.map((id, i) => [id, i]));
}

/** Sort guests into dependency order (sources and dependencies first). */
export function sortByDependencies(fleet: Fleet, guests: readonly Guest[]): Guest[] {
  const rank = ranks(fleet);
  return [...guests].sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
}

/** Start order: ascending boot_order, ties by dependency order, then ID. Stop uses the reverse. */
export function sortByBootOrder(fleet: Fleet, guests: readonly Guest[]): Guest[] {
  const rank = ranks(fleet);
  return [...guests].sort(
    (a, b) => a.bootOrder - b.bootOrder || (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0) || a.id - b.id,
  );
}
