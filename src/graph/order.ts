// Deterministic topological order (Kahn with a priority: target rank, then chain position) and cycle paths.
import type { DirectedGraph } from 'graphology';
import type { Fleet } from '../config/model.js';
import { MinHeap } from './heap.js';

/**
 * Guests in dependency order (clone sources and dependencies first), ties by ID. Guests caught in a cycle
 * (config validation should have rejected it) follow by ID so the order is still total.
 */
export function guestOrder(fleet: Fleet): number[] {
  const ids = [...fleet.guests.keys()].sort((a, b) => a - b);
  const needs = new Map<number, Set<number>>();
  const users = new Map<number, number[]>();
  for (const id of ids) {
    const g = fleet.guests.get(id)!;
    const before = new Set([...g.dependencies, ...(g.cloneFrom === undefined ? [] : [g.cloneFrom])]);
    for (const b of before) if (!fleet.guests.has(b) || b === id) before.delete(b);
    needs.set(id, before);
    for (const b of before) users.set(b, [...(users.get(b) ?? []), id]);
  }
  const ready = new MinHeap<number>((a, b) => a < b);
  for (const id of ids) if (needs.get(id)!.size === 0) ready.push(id);
  const order: number[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const u of users.get(id) ?? []) {
      const n = needs.get(u)!;
      n.delete(id);
      if (n.size === 0) ready.push(u);
    }
  }
  const placed = new Set(order);
  return [...order, ...ids.filter((id) => !placed.has(id))];
}

/** Kahn's algorithm picking the smallest ready node by `key`; returns undefined when a cycle remains. */
export function priorityTopoSort(
  graph: DirectedGraph,
  key: (node: string) => readonly number[],
): string[] | undefined {
  const keys = new Map<string, readonly number[]>();
  graph.forEachNode((n) => keys.set(n, key(n)));
  const less = (a: string, b: string): boolean => compareKeys(keys.get(a)!, keys.get(b)!) < 0;
  const indegree = new Map<string, number>();
  const ready = new MinHeap<string>(less);
  graph.forEachNode((n) => {
    indegree.set(n, graph.inDegree(n));
    if (graph.inDegree(n) === 0) ready.push(n);
  });
  const order: string[] = [];
  for (let n = ready.pop(); n !== undefined; n = ready.pop()) {
    order.push(n);
    graph.forEachOutNeighbor(n, (m) => {
      const d = indegree.get(m)! - 1;
      indegree.set(m, d);
      if (d === 0) ready.push(m);
    });
  }
  return order.length === graph.order ? order : undefined;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** One cycle of a graph that has one, as a path whose first node is repeated at the end. Iterative DFS. */
export function findCyclePath(graph: DirectedGraph): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  for (const start of graph.nodes()) {
    if (state.has(start)) continue;
    const stack: { node: string; next: string[] }[] = [{ node: start, next: graph.outNeighbors(start) }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const m = top.next.shift();
      if (m === undefined) {
        state.set(top.node, 'done');
        stack.pop();
      } else if (state.get(m) === 'open') {
        const path = stack.map((f) => f.node);
        return [...path.slice(path.indexOf(m)), m];
      } else if (!state.has(m)) {
        state.set(m, 'open');
        stack.push({ node: m, next: graph.outNeighbors(m) });
      }
    }
  }
  return undefined;
}
