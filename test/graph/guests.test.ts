import { describe, expect, it } from 'vitest';
import { DirectedGraph } from 'graphology';
import { closure, findCycles, topologicalOrder } from '../../src/graph/dag.js';
import {
  cloneDescendants,
  guestCycles,
  guestOrder,
  prerequisites,
  sortByBootOrder,
  sortByDependencies,
} from '../../src/graph/guests.js';
import { sketchFleet } from '../support/fleet.js';

// The plan's example: 900 base, 901/902 clones of 900, 920 clone of 901, 950 clone of 920 depending on 953.
const fleet = sketchFleet([
  { id: 900, snapshot: 'base' },
  { id: 901, clone: 900, snapshot: 'gpu' },
  { id: 902, clone: 900, snapshot: 'docker' },
  { id: 920, clone: 901, snapshot: 'vllm' },
  { id: 950, clone: 920, deps: [953], boot: 3 },
  { id: 953, clone: 900, boot: 1 },
  { id: 1000, kind: 'vm', boot: 2 },
]);
const ids = (gs: { id: number }[]): number[] => gs.map((g) => g.id);
const pick = (...wanted: number[]) => wanted.map((id) => fleet.guests.get(id)!);

describe('ordering', () => {
  it('create 950 900 puts 900 first (PHX-CU-04)', () => {
    expect(ids(sortByDependencies(fleet, pick(950, 900)))).toEqual([900, 950]);
  });
  it('start 950 953 puts 953 (boot 1) first (PHX-CU-05)', () => {
    expect(ids(sortByBootOrder(fleet, pick(950, 953)))).toEqual([953, 950]);
  });
  it('breaks boot-order ties by dependency order, then ID', () => {
    const tied = sketchFleet([{ id: 300, deps: [400] }, { id: 400 }, { id: 200 }]);
    expect(ids(sortByBootOrder(tied, [...tied.guests.values()]))).toEqual([200, 400, 300]);
  });
  it('lists every clone ancestor and dependency of a guest', () => {
    expect(prerequisites(fleet, 950).sort()).toEqual([900, 901, 920, 953]);
  });
  it('finds clone descendants transitively', () => {
    expect(cloneDescendants(fleet, 901).sort()).toEqual([920, 950]);
    expect(cloneDescendants(fleet, 950)).toEqual([]);
  });
});

describe('guest order and cycles', () => {
  it('puts every clone source and dependency before the guest that needs it', () => {
    const order = guestOrder(fleet)!;
    for (const g of fleet.guests.values())
      for (const need of [...(g.cloneFrom === undefined ? [] : [g.cloneFrom]), ...g.dependencies])
        expect(order.indexOf(need), `${need} before ${g.id}`).toBeLessThan(order.indexOf(g.id));
  });
  it('has no order for a cycle, and names each cycle once', () => {
    const looped = sketchFleet([{ id: 720, deps: [740] }, { id: 740, deps: [720] }, { id: 800 }]);
    expect(guestOrder(looped)).toBeUndefined();
    expect(guestCycles(looped)).toEqual([[720, 740, 720]]);
  });
});

describe('dag algorithms', () => {
  // a -> b -> d, a -> c -> d, e alone
  const g = new DirectedGraph();
  for (const n of ['a', 'b', 'c', 'd', 'e']) g.addNode(n);
  g.addEdge('a', 'b', { kind: 'x' });
  g.addEdge('b', 'd', { kind: 'y' });
  g.addEdge('a', 'c', { kind: 'x' });
  g.addEdge('c', 'd', { kind: 'x' });
  it('orders topologically, ties in insertion order', () => {
    expect(topologicalOrder(g)).toEqual(['a', 'e', 'b', 'c', 'd']);
  });
  it('closes over what nodes need, or what needs them, optionally along some edges', () => {
    expect([...closure(g, ['d'], 'in')].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...closure(g, ['a'], 'out', (e) => e.kind === 'x')].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...closure(g, ['b'], 'out', (e) => e.kind === 'x')]).toEqual(['b']);
  });
  it('finds a cycle with its path', () => {
    const c = g.copy();
    c.addEdge('d', 'a');
    expect(topologicalOrder(c)).toBeUndefined();
    expect(findCycles(c)).toEqual([['a', 'b', 'd', 'a']]);
  });
});
