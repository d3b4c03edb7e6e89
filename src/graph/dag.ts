// The graph algorithms Phoenix uses, each implemented once over graphology graphs: topological order (graphology-dag),
// cycles with their paths, and closures (what a set of nodes needs, or what needs them).
import type { AbstractGraph as Graph } from 'graphology-types';
import { hasCycle, topologicalSort } from 'graphology-dag';

/** A deterministic topological order (Kahn's algorithm, ties in node insertion order); undefined on a cycle. */
export function topologicalOrder(graph: Graph): string[] | undefined {
  return hasCycle(graph) ? undefined : topologicalSort(graph);
}

/**
 * Every cycle met by a depth-first search from each node in insertion order, once each, as a path whose first node
 * is repeated at the end. Empty for an acyclic graph. Iterative, so a long chain cannot overflow the stack.
 */
export function findCycles(graph: Graph): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const seen = new Set<string>();
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
        const cycle = path.slice(path.indexOf(m));
        const key = [...cycle].sort().join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, m]);
        }
      } else if (!state.has(m)) {
        state.set(m, 'open');
        stack.push({ node: m, next: graph.outNeighbors(m) });
      }
    }
  }
  return cycles;
}

/**
 * The given nodes and everything reachable from them against the edges (`'in'`: what they need, Make-style) or
 * along them (`'out'`: what needs them). Unknown nodes are an error of the caller.
 */
export function closure(
  graph: Graph,
  from: Iterable<string>,
  direction: 'in' | 'out',
  /** Follow only the edges this accepts (default: every edge). */
  follow: (edge: Record<string, unknown>) => boolean = () => true,
): Set<string> {
  const seen = new Set<string>();
  const stack = [...from];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (seen.has(n)) continue;
    if (!graph.hasNode(n)) throw new Error(`closure: unknown node ${n}`);
    seen.add(n);
    const push = (_e: string, attrs: Record<string, unknown>, source: string, target: string) => {
      const m = direction === 'in' ? source : target;
      if (!seen.has(m) && follow(attrs)) stack.push(m);
    };
    if (direction === 'in') graph.forEachInEdge(n, push);
    else graph.forEachOutEdge(n, push);
  }
  return seen;
}
