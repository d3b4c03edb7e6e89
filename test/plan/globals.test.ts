// A change to a global setting re-runs only the steps whose scripts name it (issue 16 item 8); records made when
// every step hashed every global do not make anything stale after the upgrade.
import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/cache/cache.js';
import type { Fleet, LxcGuest } from '../../src/config/model.js';
import { buildStepGraph } from '../../src/graph/build.js';
import type { LiveState } from '../../src/host/live.js';
import { fingerprint } from '../../src/plan/fingerprint.js';
import { plan } from '../../src/plan/planner.js';
import { recordFor } from '../../src/plan/record.js';
import type { Plan } from '../../src/plan/types.js';
import { stepTables } from '../../src/tasks/index.js';
import { sketchFleet } from '../support/fleet.js';
import { TEST_MASKER } from './harness.js';

const NVIDIA = '/scripts/nvidia.sh';

/** 950 with the nvidia and docker features; only the nvidia script names nvidia_driver_version. */
function fleetWith(globals: Record<string, unknown>): Fleet {
  const fleet = sketchFleet([{ id: 950, features: ['nvidia', 'docker'] }]);
  // Without its lifecycle snapshot, which follows health like any step after the features.
  (fleet.guests.get(950) as LxcGuest).config.enable_lifecycle_snapshots = false;
  fleet.globals = globals;
  fleet.scriptHashes = new Map(
    ['/scripts/nvidia.sh', '/scripts/docker.sh', fleet.guestTestRunner, fleet.hypervisorTestRunner].map(
      (p) => [p, `h-${p}`],
    ),
  );
  fleet.scriptGlobals = new Map([
    [NVIDIA, Object.keys(globals).filter((k) => k === 'nvidia_driver_version')],
  ]);
  return fleet;
}

const live: LiveState = {
  node: 'pve',
  guests: new Map([[950, { id: 950, kind: 'lxc', status: 'running', template: false }]]),
};

function planOf(fleet: Fleet, cache: Map<string, StepRecord>): Plan {
  const graph = buildStepGraph(fleet, stepTables);
  if (!graph.ok) throw new Error(graph.error.message);
  return plan({
    graph: graph.value,
    fleet,
    live,
    cache,
    scriptHash: (p) => fleet.scriptHashes?.get(p) ?? 'missing',
    maskSecrets: TEST_MASKER,
    request: { targets: [] },
  });
}

/** Every step recorded as the plan has it: the guest fully built. */
function record(p: Plan): Map<string, StepRecord> {
  return new Map(
    p.steps.map((s) => [s.address, recordFor(s, { at: '2026-01-01T00:00:00Z', durationMs: 1 })]),
  );
}

const stale = (p: Plan): string[] => p.steps.filter((s) => s.status !== 'up-to-date').map((s) => s.address);

describe('globals', () => {
  it('a change to a global re-runs only the steps whose scripts name it', () => {
    const cache = record(planOf(fleetWith({ nvidia_driver_version: '580', other: 1 }), new Map()));
    const p = planOf(fleetWith({ nvidia_driver_version: '590', other: 1 }), cache);
    // docker and the health check only as what follows nvidia in 950's chain
    expect(stale(p)).toEqual(['950:feature:nvidia', '950:feature:docker', '950:health']);
    expect(p.steps.find((s) => s.address === '950:feature:docker')?.reasons).toEqual([
      { type: 'upstream', address: '950:feature:nvidia' },
    ]);
    const other = planOf(fleetWith({ nvidia_driver_version: '580', other: 2 }), cache);
    expect(stale(other)).toEqual([]); // no script names it
  });

  it('records that hashed every global stay up to date after the upgrade', () => {
    const fleet = fleetWith({ nvidia_driver_version: '580', other: 1 });
    const cache = record(planOf(fleet, new Map()));
    // As the previous release recorded them: every global in every feature's inputs, so other fingerprints,
    // which the steps after them folded in.
    const old = (a: string): string => (a.includes(':feature:') ? `old-${a}` : cache.get(a)!.fingerprint);
    for (const [address, r] of [...cache]) {
      const inputs = address.includes(':feature:')
        ? { ...r.inputs, globals: { nvidia_driver_version: '580', other: 1 } }
        : r.inputs;
      const upstream = Object.fromEntries(Object.keys(r.upstream ?? {}).map((a) => [a, old(a)]));
      // Steps that fold in a feature's fingerprint were hashed with the old one.
      const kind = address.split(':')[1]!;
      const refold =
        Object.keys(upstream).some((a) => a.includes(':feature:')) && !address.includes(':feature:');
      const fp = refold
        ? fingerprint({ kind, inputs, scriptHashes: Object.values(r.scripts), upstream })
        : old(address);
      cache.set(address, { ...r, inputs, upstream, fingerprint: fp });
    }
    expect(stale(planOf(fleet, cache))).toEqual([]);
    // ...and a change to the global still re-runs the step that names it.
    const changed = planOf(fleetWith({ nvidia_driver_version: '590', other: 1 }), cache);
    expect(stale(changed)).toEqual(['950:feature:nvidia', '950:feature:docker', '950:health']);
  });
});
