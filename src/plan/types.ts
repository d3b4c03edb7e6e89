// The planner's output: pure data the runner executes and the reporters print.
import type { Argv, Diff } from '../tasks/step.js';

export type StaleReason =
  | { type: 'never-ran' }
  | { type: 'input-changed'; diffs: Diff[] }
  | { type: 'script-changed'; scripts: string[] }
  | { type: 'upstream'; address: string }
  | { type: 'drift'; detail: string; diffs: Diff[] }
  | { type: 'missing'; detail: string }
  | { type: 'recreated'; detail: string }
  | { type: 'forced' };

export type StepStatus = 'up-to-date' | 'stale' | 'blocked';

export interface PlannedStep {
  /** `950:configure`, `host:zfs`. */
  address: string;
  /** Guest ID, or 'host' for hypervisor steps. */
  target: number | 'host';
  /** Step name within the target: `configure`, `feature:docker`, `zfs`. */
  name: string;
  status: StepStatus;
  /** Why it is stale; empty when up to date. */
  reasons: StaleReason[];
  /** Why it cannot run (e.g. `needs --replace: storage_pool changed`); set when status is 'blocked'. */
  blocked?: string;
  fingerprint: string;
  inputs: Record<string, unknown>;
  scripts: Record<string, string>;
  /** Addresses of planned steps that must succeed first (graph edges restricted to this plan). */
  after: string[];
  /** Commands it would run, from the state read before planning. */
  preview: Argv[];
}

export interface Plan {
  /** Every step the request covers, in a topological order; stale and blocked ones are the work. */
  steps: PlannedStep[];
}
