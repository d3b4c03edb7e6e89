import { describe, expect, it } from 'vitest';
import { adopt } from '../../src/plan/adopt.js';
import { lxc } from './fakes.js';
import { addresses, built, planWorld, work } from './harness.js';

const full = {
  features: ['nvidia', 'docker'],
  application_script: 'app.sh',
  template_snapshot_name: 'golden',
};

describe('adopt', () => {
  it('lets a first run on a host built by the bash orchestrator re-run no feature or app script', () => {
    const w = built([lxc(950, full), lxc(951, full)]);
    w.cache.clear(); // the bash orchestrator left no cache
    w.live.guests.get(950)!.status = 'stopped'; // and one guest is down
    const before = planWorld(w);
    expect(work(before)).toHaveLength(before.steps.length); // plan before adopting: everything is new

    const records = adopt({
      plan: before,
      graph: w.graph,
      fleet: w.fleet,
      live: w.live,
      at: '2025-01-01T00:00:00Z',
    });
    expect(records.has('950:start')).toBe(false); // its check fails: left to run
    expect(records.get('950:feature:docker')?.incarnation).toBe(w.live.guests.get(950)!.incarnation);
    for (const [a, r] of records) w.cache.set(a, r);
    expect(addresses(work(planWorld(w)))).toEqual(['950:start']);
  });

  it('adopts nothing of a guest that does not exist', () => {
    const w = built([lxc(950)]);
    w.live.guests.delete(950);
    w.cache.clear();
    expect(adopt({ plan: planWorld(w), graph: w.graph, fleet: w.fleet, live: w.live }).size).toBe(0);
  });
});
