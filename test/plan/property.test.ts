// Property tests on random fleets: clones and dependencies form random DAGs of guests.
import fc from 'fast-check';
import { hasCycle } from 'graphology-dag';
import { describe, expect, it } from 'vitest';
import type { Guest } from '../../src/config/model.js';
import { lxc, vm } from './fakes.js';
import { addresses, built, planWorld, reconfigured, work } from './harness.js';

const FEATURES = ['a', 'b', 'c'];

interface Spec {
  kind: 'lxc' | 'vm';
  features: string[];
  app: boolean;
  health: boolean;
  snapshot: boolean;
  cloneOf: number; // index of an earlier guest of the same kind, or -1
  deps: number[]; // indexes of earlier guests
}

const guestSpec = fc.record({
  kind: fc.constantFrom('lxc' as const, 'vm' as const),
  features: fc.subarray(FEATURES),
  app: fc.boolean(),
  health: fc.boolean(),
  snapshot: fc.boolean(),
  cloneOf: fc.integer({ min: -1, max: 7 }),
  deps: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }),
});

/** Random fleets: up to 8 guests with shuffled IDs, clones and dependencies pointing only at earlier guests. */
const fleetArb = fc
  .integer({ min: 1, max: 8 })
  .chain((n) =>
    fc.tuple(
      fc.array(guestSpec, { minLength: n, maxLength: n }),
      fc.uniqueArray(fc.integer({ min: 100, max: 999 }), { minLength: n, maxLength: n }),
    ),
  )
  .map(([specs, ids]) => toGuests(specs, ids));

function toGuests(specs: Spec[], ids: number[]): Guest[] {
  return specs.map((s, i) => {
    const source =
      s.cloneOf >= 0 && s.cloneOf < i && specs[s.cloneOf]!.kind === s.kind ? ids[s.cloneOf] : undefined;
    const dependencies = s.deps.filter((d) => d < i).map((d) => ids[d]!);
    const common = {
      features: s.features,
      dependencies,
      ...(s.snapshot && { template_snapshot_name: 'golden' }),
    };
    return s.kind === 'lxc'
      ? lxc(ids[i]!, {
          ...common,
          ...(source !== undefined && { clone_from_ctid: source }),
          ...(s.app && { application_script: 'app.sh' }),
          ...(s.health && { health_check: { command: 'true' } }),
        })
      : vm(ids[i]!, { ...common, ...(source !== undefined && { clone_from_vmid: source }) });
  });
}

const runs = { numRuns: Number(process.env.FC_RUNS ?? 60) };

describe('planner properties on random guest DAGs', () => {
  it('the order respects every edge, and the graph has no cycle', () => {
    fc.assert(
      fc.property(fleetArb, (guests) => {
        const w = built(guests);
        expect(hasCycle(w.graph)).toBe(false);
        const rank = (a: string) => w.graph.getNodeAttribute(a, 'rank');
        w.graph.forEachEdge((_e, _attrs, from, to) => expect(rank(from)).toBeLessThan(rank(to)));
        const p = planWorld({ ...w, cache: new Map() });
        const index = new Map(p.steps.map((s, i) => [s.address, i]));
        for (const s of p.steps)
          for (const a of s.after) expect(index.get(a)!).toBeLessThan(index.get(s.address)!);
      }),
      runs,
    );
  });

  it('after running every stale step, the next plan is empty', () => {
    fc.assert(
      fc.property(fleetArb, (guests) => {
        const w = built(guests);
        expect(work(planWorld(w))).toEqual([]);
      }),
      runs,
    );
  });

  it('changing memory re-runs exactly that guest’s configure', () => {
    fc.assert(
      fc.property(fleetArb, fc.nat(), (guests, pick) => {
        const g = guests[pick % guests.length]!;
        const changed =
          g.kind === 'lxc'
            ? lxc(g.id, { ...g.config, memory_mb: 7777 })
            : vm(g.id, { ...g.config, memory_mb: 7777 });
        const p = planWorld(reconfigured(built(guests), [changed]));
        expect(addresses(work(p))).toEqual([`${g.id}:configure`]);
      }),
      runs,
    );
  });

  it('changing a feature script re-runs, in every guest using it, that feature and what builds on it', () => {
    fc.assert(
      fc.property(
        fleetArb,
        fc.constantFrom('lxc', 'vm'),
        fc.constantFrom(...FEATURES),
        (guests, kind, feature) => {
          const w = built(guests);
          w.scripts.contents.set(`/scripts/${kind}/${feature}.sh`, 'v2');
          const expected = new Set(
            guests
              .filter((g) => g.kind === kind && g.config.features.includes(feature))
              .flatMap(expectedAfterFeature(feature)),
          );
          // A clone made from a build that changes is built from an older source: its define is blocked (it needs
          // --replace), and its own work waits for it; so, in turn, are the clones made from it.
          const older = new Set<number>();
          for (let grew = true; grew;) {
            grew = false;
            for (const g of guests) {
              const src = guests.find((s) => s.id === g.cloneFrom);
              if (!src || older.has(g.id) || !expected.has(cloneSourceStep(src))) continue;
              older.add(g.id);
              expected.add(`${g.id}:define`);
              grew = true;
            }
          }
          const p = planWorld(w);
          expect(addresses(work(p)).sort()).toEqual([...expected].sort());
          for (const s of work(p))
            expect(s.status, s.address).toBe(older.has(s.target as number) ? 'blocked' : 'stale');
        },
      ),
      runs,
    );
  });
});

/** The step a clone is made from (build.ts): its source's template or snapshot step, else its last step. */
function cloneSourceStep(g: Guest): string {
  const c = g.config;
  const last =
    g.kind === 'lxc'
      ? [
          c.template_snapshot_name && 'snapshot',
          g.config.health_check && 'health',
          g.config.application_script && 'app',
        ]
      : [c.template_snapshot_name && 'snapshot'];
  const named = last.find((t): t is string => typeof t === 'string');
  const feature = c.features.at(-1);
  const fallback = feature !== undefined ? `feature:${feature}` : g.kind === 'lxc' ? 'start' : 'agent';
  return `${g.id}:${named ?? fallback}`;
}

/** The documented set: the feature, later features, then app, health and snapshot when the guest has them. */
function expectedAfterFeature(feature: string) {
  return (g: Guest): string[] => {
    const features = g.config.features
      .slice(g.config.features.indexOf(feature))
      .map((f) => `${g.id}:feature:${f}`);
    const tail =
      g.kind === 'lxc'
        ? [
            g.config.application_script && 'app',
            g.config.health_check && 'health',
            g.config.template_snapshot_name && 'snapshot',
          ]
        : [g.config.template_snapshot_name && 'snapshot'];
    return [
      ...features,
      ...tail.filter((t): t is string => typeof t === 'string').map((t) => `${g.id}:${t}`),
    ];
  };
}
