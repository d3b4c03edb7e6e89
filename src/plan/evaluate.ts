// Asks a node's step spec about its target: the one place that pairs a spec with a context of the right type.
import type { SecretMasker } from '../config/secrets.js';
import { maskSecretArgs } from '../run/log.js';
import type { Fleet } from '../config/model.js';
import type { StepNode } from '../graph/types.js';
import type { LiveGuest, LiveState } from '../host/live.js';
import type { Argv, HostNeed, LiveCheck, StepContext } from '../tasks/step.js';

/** What the planner needs from a step, with the spec/target pairing already resolved. */
export interface BoundStep {
  inputs(): Record<string, unknown>;
  scripts(): string[];
  check(): LiveCheck;
  preview(): Argv[];
  locks(): string[];
  needs(replacing: boolean): HostNeed[];
  /** The guest as the step leaves it (define only; see StepSpec.predict). */
  predict(): LiveGuest | undefined;
  /** See StepSpec.warning. */
  warning(): string | undefined;
}

/** How the step is to run, when the planner knows: see StepContext.redo and StepContext.replacing. */
export type RunMode = Pick<StepContext, 'redo' | 'replacing'>;

/** `mask`: how secret input values are kept (keyed hashes for fingerprints; see secretMasker). */
export function bindStep(
  node: StepNode,
  fleet: Fleet,
  live: LiveState,
  mask: SecretMasker,
  mode: RunMode = {},
): BoundStep {
  switch (node.kind) {
    case 'lxc': {
      const ctx = {
        fleet,
        live,
        target: node.guest,
        name: node.name,
        liveGuest: live.guests.get(node.guest.id),
        ...mode,
      };
      return bind(node.spec, ctx, mask);
    }
    case 'vm': {
      const ctx = {
        fleet,
        live,
        target: node.guest,
        name: node.name,
        liveGuest: live.guests.get(node.guest.id),
        ...mode,
      };
      return bind(node.spec, ctx, mask);
    }
    case 'host':
      return bind(node.spec, { fleet, live, target: node.hostStep, name: node.name, ...mode }, mask);
  }
}

function bind<C>(
  spec: {
    inputs(c: C): Record<string, unknown>;
    scripts(c: C): string[];
    check(c: C): LiveCheck;
    preview(c: C): Argv[];
    locks?(c: C): string[];
    needs?(c: C, replacing: boolean): HostNeed[];
    predict?(c: C): LiveGuest | undefined;
    warning?(c: C): string | undefined;
  },
  ctx: C,
  mask: SecretMasker,
): BoundStep {
  return {
    // Secrets (user_config.password, *token*) never reach the cache, `why` or `plan --json`: only their hash.
    inputs: () => mask(spec.inputs(ctx)),
    scripts: () => spec.scripts(ctx),
    check: () => spec.check(ctx),
    // Plans, dry runs and their --json print previews: a password (even hashed) shows as `***`.
    preview: () => spec.preview(ctx).map(maskSecretArgs),
    locks: () => spec.locks?.(ctx) ?? [],
    needs: (replacing) => spec.needs?.(ctx, replacing) ?? [],
    predict: () => spec.predict?.(ctx),
    warning: () => spec.warning?.(ctx),
  };
}
