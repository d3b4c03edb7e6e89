import { describe, expect, it } from 'vitest';
import {
  cloneDescendants,
  prerequisites,
  resolveTargets,
  sortByBootOrder,
  sortByDependencies,
} from '../../src/engine/targets.js';
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

describe('resolveTargets', () => {
  it('routes IDs to their guests, of either kind (PHX-CU-01/02)', () => {
    const r = resolveTargets(fleet, ['950', '1000']);
    expect(r.ok && r.value.map((g) => g.kind)).toEqual(['lxc', 'vm']);
  });
  it.each(['9999', 'abc', '95O'])('rejects %s with the spec message (PHX-CU-03)', (word) => {
    const r = resolveTargets(fleet, ['950', word]);
    expect(r.ok ? '' : r.error.split('\n')[0]).toBe(`Error: Target ID '${word}' not found`);
    expect(r.ok ? '' : r.error).toContain('its IDs are 900, 901, 902, 920, 950, 953, 1000');
  });
});

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
