// What the runner writes to the step cache after a planned step succeeds.
import type { StepRecord } from '../cache/cache.js';
import type { PlannedStep } from './types.js';

export function recordFor(
  step: PlannedStep,
  done: { at: string; durationMs: number; incarnation?: string; sourceIncarnation?: string },
): StepRecord {
  return {
    fingerprint: step.fingerprint,
    inputs: step.inputs,
    scripts: step.scripts,
    ...(step.upstream && { upstream: step.upstream }),
    at: done.at,
    durationMs: done.durationMs,
    ...(done.incarnation !== undefined && { incarnation: done.incarnation }),
    ...(step.source && {
      source: {
        address: step.source.address,
        fingerprint: step.source.fingerprint,
        ...(done.sourceIncarnation !== undefined && { incarnation: done.sourceIncarnation }),
      },
    }),
  };
}
