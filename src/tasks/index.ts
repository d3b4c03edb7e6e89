// The step tables the graph builder and the runner consume: one ordered table per target kind.
//
// What each step fingerprints is in docs/fingerprints.md, which a test holds to these tables.
import type { HostSetupStep, LxcGuest, VmGuest } from '../config/model.js';
import { hostSteps } from './host-steps.js';
import { makeLxcSteps } from './lxc-steps.js';
import type { StepOptions } from './options.js';
import type { ExecutableStep } from './step.js';
import { makeVmSteps } from './vm-steps.js';

export interface ExecutableStepTables {
  lxc: ExecutableStep<LxcGuest>[];
  vm: ExecutableStep<VmGuest>[];
  host: ExecutableStep<HostSetupStep>[];
}

/** The tables with timings of one's own (tests shorten pauses; a CLI flag could set the agent timeout). */
export function makeStepTables(options: Partial<StepOptions> = {}): ExecutableStepTables {
  return { lxc: makeLxcSteps(options), vm: makeVmSteps(options), host: hostSteps };
}

export const stepTables: ExecutableStepTables = makeStepTables();

export type { StepOptions } from './options.js';
export { DEFAULT_STEP_OPTIONS } from './options.js';
