// Figure 3's bounds (bench/concurrency.js) on graphs small enough to check by hand.
import { describe, expect, it } from 'vitest';
// @ts-expect-error bench/ is plain JavaScript without type declarations
import { analyse } from '../../bench/concurrency.js';

interface Bounds {
  criticalPathMs: number;
  boundMs: number;
  lockOptimumMs: number | undefined;
  hostBoundMs: number;
  idealScheduleMs: number;
}
const bounds = analyse as (
  steps: { address: string; after: string[]; locks?: string[] }[],
  durations: Map<string, number>,
) => Bounds;

describe('figure 3 bounds', () => {
  it('clones of one source queue: the host-aware bound adds them up, the plain bound does not', () => {
    const steps = [
      { address: 's', after: [] },
      ...['c1', 'c2', 'c3'].map((address) => ({ address, after: ['s'], locks: ['guest:s'] })),
    ];
    const b = bounds(
      steps,
      new Map([
        ['s', 5],
        ['c1', 10],
        ['c2', 10],
        ['c3', 10],
      ]),
    );
    expect(b.criticalPathMs).toBe(15);
    expect(b.boundMs).toBe(15); // max(15, 35 / 4)
    expect(b.lockOptimumMs).toBe(35);
    expect(b.hostBoundMs).toBe(35);
    expect(b.idealScheduleMs).toBe(35);
  });

  it('picks the lock order that lets the longest tail start first', () => {
    // a's clone has 20 ms of work after it, b's none: a first finishes at 5 + 10 + 20 = 35 (b ends at 25).
    const steps = [
      { address: 's', after: [] },
      { address: 'a', after: ['s'], locks: ['guest:s'] },
      { address: 'b', after: ['s'], locks: ['guest:s'] },
      { address: 'a2', after: ['a'] },
    ];
    const b = bounds(
      steps,
      new Map([
        ['s', 5],
        ['a', 10],
        ['b', 10],
        ['a2', 20],
      ]),
    );
    expect(b.lockOptimumMs).toBe(35);
    expect(b.idealScheduleMs).toBe(35);
  });

  it('without locks the host-aware bound is the plain one', () => {
    const steps = ['x', 'y', 'z', 'w', 'v'].map((address) => ({ address, after: [] }));
    const b = bounds(steps, new Map(steps.map((s) => [s.address, 8])));
    expect(b.boundMs).toBe(10); // 40 / 4
    expect(b.hostBoundMs).toBe(10);
    expect(b.idealScheduleMs).toBe(16); // five 8 ms steps on four workers
  });
});
