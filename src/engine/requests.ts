// Steps the user asks for that are not nodes of the step graph, as plans the one scheduler runs: power actions
// (start, stop, restart, delete: one after another in the order the verb requires — start: ascending boot_order;
// stop: the reverse; delete: dependents first) and test runs. Pure: decided from the live state read before.
import type { Guest } from '../config/model.js';
import type { Argv } from '../host/argv.js';
import type { LiveGuest, LiveState } from '../host/live.js';
import type { PlannedStep } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { decide, type PowerAction } from '../tasks/power.js';

/** One phase: guests in the order the action runs them. */
export interface PowerPhase {
  action: PowerAction;
  guests: Guest[];
}

export interface PowerPlan {
  /** The steps, each after the previous one (and the first after `after`). */
  steps: PlannedStep[];
  /** What needs no action (already running, a template, ...), one line per guest, for the user. */
  notes: string[];
}

/** `950:power:stop` */
export const powerAddress = (id: number, action: PowerAction): string => `${id}:power:${action}`;

/**
 * The steps of the phases in order. A guest that cannot take its action (starting one that does not exist) makes
 * the whole plan an error: nothing runs. A later phase sees the guests as the earlier ones leave them.
 */
export function powerPlan(
  phases: readonly PowerPhase[],
  live: LiveState,
  opts: { force: boolean; after?: string[] },
): Result<PowerPlan, string> {
  const state = new Map(live.guests);
  const steps: PlannedStep[] = [];
  const notes: string[] = [];
  let previous = opts.after ?? [];
  for (const phase of phases) {
    for (const guest of phase.guests) {
      const seen = state.get(guest.id);
      const decision = decide(guest, phase.action, seen, opts);
      if (decision.do === 'fail') return err(`Error: ${decision.note}`);
      if (decision.do === 'skip') {
        notes.push(`${guest.id}: ${decision.note}`);
        continue;
      }
      const address = powerAddress(guest.id, phase.action);
      steps.push({
        address,
        target: guest.id,
        name: `power:${phase.action}`,
        status: 'stale',
        reasons: [{ type: 'requested', detail: decision.note }],
        fingerprint: '',
        inputs: {},
        scripts: {},
        after: previous,
        preview: decision.argv,
        requested: {
          action: phase.action,
          note: decision.note,
          // Boot delay: the next guest starts this long after this one (`boot_delay`, the original's sleep).
          delayMs: phase.action === 'start' ? guest.config.boot_delay * 1000 : 0,
        },
      });
      previous = [address];
      if (phase.action === 'destroy') state.delete(guest.id);
      else state.set(guest.id, afterAction(guest, phase.action, seen));
    }
  }
  // No pause after the last start: nothing waits for it.
  const last = steps.at(-1);
  if (last?.requested) last.requested = { ...last.requested, delayMs: 0 };
  return ok({ steps, notes });
}

/** The guest as a start or stop leaves it, for the phases after it. */
function afterAction(guest: Guest, action: 'start' | 'stop', seen: LiveGuest | undefined): LiveGuest {
  const base: LiveGuest = seen ?? { id: guest.id, kind: guest.kind, status: 'stopped', template: false };
  return { ...base, status: action === 'start' ? 'running' : 'stopped' };
}

/** One test run: the runner's argv and what it tests. */
export interface TestRun {
  target: number | 'host';
  argv: Argv;
  env: Record<string, string>;
  /** Set when a guest's suites run one runner call each (the original's runner): part of the address. */
  suite?: string;
}

/** Test runs as steps, one after another; their output is the verb's output. */
export function testPlan(runs: readonly TestRun[]): PlannedStep[] {
  let previous: string[] = [];
  return runs.map((r) => {
    const address = r.suite === undefined ? `${r.target}:test` : `${r.target}:test:${r.suite}`;
    const note =
      r.target === 'host'
        ? 'tests of the hypervisor'
        : `tests of ${r.target}${r.suite === undefined ? '' : ` (suite ${r.suite})`}`;
    const step: PlannedStep = {
      address,
      target: r.target,
      name: 'test',
      status: 'stale',
      reasons: [{ type: 'requested', detail: note }],
      fingerprint: '',
      inputs: {},
      scripts: {},
      after: previous,
      preview: [r.argv],
      requested: { action: 'test', note: `ran ${note}`, delayMs: 0, env: r.env, streamOutput: true },
    };
    previous = [address];
    return step;
  });
}
