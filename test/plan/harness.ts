// Builds a fleet's graph, "runs" it to completion on the fake host, and plans again with one thing changed.
import type { StepRecord } from '../../src/cache/cache.js';
import type { Fleet, Guest } from '../../src/config/model.js';
import { buildStepGraph } from '../../src/graph/build.js';
import type { StepGraph } from '../../src/graph/types.js';
import type { LiveState } from '../../src/host/live.js';
import { plan } from '../../src/plan/planner.js';
import { secretMasker } from '../../src/config/secrets.js';
import type { Plan, PlannedStep, PlanRequest } from '../../src/plan/types.js';
import { emptyLive, fleetOf, runPlan, scriptStore, tables } from './fakes.js';

/** A fixed key: the planner's fingerprints of secrets are keyed (secretMasker). */
export const TEST_MASKER = secretMasker(Buffer.alloc(32, 7));

export interface World {
  fleet: Fleet;
  graph: StepGraph;
  live: LiveState;
  cache: Map<string, StepRecord>;
  scripts: ReturnType<typeof scriptStore>;
}

export function world(guests: Guest[], host: string[] = []): World {
  const fleet = fleetOf(guests, host);
  const graph = buildStepGraph(fleet, tables);
  if (!graph.ok) throw new Error(graph.error.message);
  return { fleet, graph: graph.value, live: emptyLive(), cache: new Map(), scripts: scriptStore() };
}

export function planWorld(w: World, request: Partial<PlanRequest> = {}): Plan {
  const { graph, fleet, live, cache } = w;
  return plan({
    graph,
    fleet,
    live,
    cache,
    scriptHash: w.scripts.hash,
    maskSecrets: TEST_MASKER,
    request: { targets: [], ...request },
  });
}

/** Plans everything and runs the stale steps; returns the world fully built. */
export function built(guests: Guest[], host: string[] = []): World {
  const w = world(guests, host);
  runPlan(planWorld(w), w.fleet, w.live, w.cache);
  return w;
}

/** Same world with some guests' config replaced (a fresh graph, the same host and cache). */
export function reconfigured(w: World, guests: Guest[]): World {
  const next = world(
    [...new Map([...w.fleet.guests, ...guests.map((g) => [g.id, g] as const)]).values()],
    w.fleet.hostSteps.map((s) => s.name),
  );
  return { ...next, live: w.live, cache: w.cache, scripts: w.scripts };
}

export const work = (p: Plan): PlannedStep[] => p.steps.filter((s) => s.status !== 'up-to-date');
export const addresses = (steps: PlannedStep[]): string[] => steps.map((s) => s.address);
export const step = (p: Plan, address: string): PlannedStep => {
  const s = p.steps.find((x) => x.address === address);
  if (!s) throw new Error(`${address} not in plan`);
  return s;
};
