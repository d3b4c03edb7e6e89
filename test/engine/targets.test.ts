import { describe, expect, it } from 'vitest';
import { resolveTargets } from '../../src/engine/targets.js';
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
