// Adoption, pure: records as done every planned step whose live check passes on a guest that already exists
// (built by the bash orchestrator), so Phoenix's first run re-runs no feature or application script.
import type { StepRecord } from '../cache/cache.js';
import type { Fleet } from '../config/model.js';
import { hideSecrets } from '../config/secrets.js';
import type { StepGraph } from '../graph/types.js';
import type { LiveState } from '../host/live.js';
import { bindStep } from './evaluate.js';
import type { Plan } from './types.js';

export interface AdoptInput {
  /** A plan of the steps to adopt: it carries each step's fingerprint of the current config. */
  plan: Plan;
  graph: StepGraph;
  fleet: Fleet;
  live: LiveState;
  /** ISO time stamped on the records (default: now). */
  at?: string;
}

/**
 * Address -> record to write, for each step of the plan whose target exists (a live guest, or the host) and whose
 * live check is ok or unknown. Steps that are missing or drifted are left for the next run to do.
 */
export function adopt(input: AdoptInput): Map<string, StepRecord> {
  const { plan, graph, fleet, live } = input;
  const at = input.at ?? new Date().toISOString();
  const records = new Map<string, StepRecord>();
  for (const step of plan.steps) {
    const guest = step.target === 'host' ? undefined : live.guests.get(step.target);
    if (step.target !== 'host' && !guest) continue;
    // Only the live check is asked: the inputs (and how their secrets are masked) come from the plan.
    if (bindStep(graph.getNodeAttributes(step.address), fleet, live, hideSecrets).check().ok === false)
      continue;
    const incarnation = guest?.incarnation;
    records.set(step.address, {
      fingerprint: step.fingerprint,
      inputs: step.inputs,
      scripts: step.scripts,
      ...(step.upstream && { upstream: step.upstream }),
      at,
      durationMs: 0,
      ...(incarnation !== undefined && { incarnation }),
      ...(step.source && { source: step.source }),
    });
  }
  return records;
}
