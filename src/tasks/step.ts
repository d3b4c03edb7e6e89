// The contract every step kind implements. One table per guest kind (lxc-steps.ts, vm-steps.ts, host-steps.ts)
// lists its steps; adding a step is one entry there, not edits in five files.
import type { Fleet, Guest, HostSetupStep } from '../config/model.js';
import type { LiveGuest, LiveState } from '../host/live.js';
import type { CommandFailure, HostExec } from '../host/host.js';
import type { Result } from '../result.js';

/** A difference between what the host has and what the config wants. */
export interface Diff {
  field: string;
  actual: unknown;
  desired: unknown;
}

/** Result of a step's live check against the host state read before planning. */
export type LiveCheck =
  /** `pending`: settings that already have their configured value in the pending section (applied at restart). */
  | { ok: true; pending?: Diff[] }
  | { ok: false; reason: 'missing'; detail: string }
  | {
      ok: false;
      reason: 'drift';
      detail: string;
      diffs: Diff[];
      /** Set when the drift cannot be fixed in place (e.g. a disk larger than configured: never shrunk). */
      needsReplace?: string;
    }
  /** The check needs state that was not read (e.g. inside the guest): only the cache decides. */
  | { ok: 'unknown' };

/** What a step sees: the fleet, its target, and the live state read before planning. */
export interface StepContext<T extends Guest | HostSetupStep = Guest | HostSetupStep> {
  fleet: Fleet;
  target: T;
  /** The step's full name within its target: `configure`, `feature:docker`, `zfs`. */
  name: string;
  live: LiveState;
  /** Shortcut to `live.guests.get(target.id)` for guest steps. */
  liveGuest?: LiveGuest;
  /**
   * Set (for its commands and its action) when the step runs again because what it produces changed: its inputs,
   * its scripts, an upstream step, --force, or a failed last run. A result it finds in place is then replaced, not
   * kept (a snapshot is re-taken).
   */
  redo?: boolean;
  /**
   * Set on `define` (for its commands) when this run destroys the guest and builds it again (--replace): the guest
   * as it is now. `live` then no longer holds it, so every step's commands are those of a new guest.
   */
  replacing?: LiveGuest;
}

import type { Argv } from '../host/argv.js';

export type { Argv };

export interface StepSpec<T extends Guest | HostSetupStep = Guest> {
  /** Step kind: `define`, `configure`, ..., `feature` (instantiated once per feature as `feature:<name>`). */
  kind: string;
  /** The step names this spec produces for a target, in order (`[]` when it does not apply). */
  instances(target: T, fleet: Fleet): string[];
  /**
   * Why a target has none of this step (its `instances` are empty) and what to change to have it, for a user who
   * names it (`run 730:snapshot`). Undefined: the generic message.
   */
  absent?(target: T, fleet: Fleet): string | undefined;
  /** Exactly the config values this step uses; hashed into its fingerprint and diffed by `why`. */
  inputs(ctx: StepContext<T>): Record<string, unknown>;
  /** Absolute paths of the scripts the step runs; their content hashes join the fingerprint. */
  scripts(ctx: StepContext<T>): string[];
  /**
   * Whether a re-run of an upstream step of the same guest makes this one stale. False for steps whose result
   * does not depend on what ran before (e.g. `configure` applies settings whatever the container holds).
   */
  cascades: boolean;
  /**
   * A step off the main chain: it runs in chain order, but the step after it cascades from the step before it, so
   * its own re-run makes nothing after it stale (a changed NFS volume re-runs no feature).
   */
  aside?: boolean;
  /** Pure live check against the state read before planning. */
  check(ctx: StepContext<T>): LiveCheck;
  /** The host commands the step would run from the state read before planning, for dry runs and `plan`. */
  preview(ctx: StepContext<T>): Argv[];
  /**
   * What the step needs on the host before it can run (an OS template the catalogue has, a storage holding a
   * content type). Checked for every step of a plan before any of them runs (engine/preflight.ts), so a missing
   * template or content type fails the run before anything is created. `replacing`: the plan destroys and
   * re-creates the guest (`--replace`).
   */
  needs?(ctx: StepContext<T>, replacing: boolean): HostNeed[];
  /**
   * `define` only: the guest as this step leaves it (config as created or cloned, stopped), so the steps after it
   * can be checked before a guest is created or re-created (a clone's disk larger than its storage_size_gb).
   */
  predict?(ctx: StepContext<T>): LiveGuest | undefined;
  /** A danger of running it the plan says beside it (a firewall that may cut the user off the host). */
  warning?(ctx: StepContext<T>): string | undefined;
  /**
   * Host locks the step holds while it runs on top of its own guest's (e.g. `guest:902`: `pct clone` puts
   * `lock: disk` on its source for the whole clone). The runner never runs two steps holding one lock at once.
   */
  locks?(ctx: StepContext<T>): string[];
}

/** Something on the host a step needs; `where` names the config field that asks for it, for messages. */
export type HostNeed =
  /** An OS template: already on its storage, or in the host's template catalogue (`pveam available`). */
  | { kind: 'os-template'; storage: string; file: string; guest: string; where: string }
  /** A storage that must hold a content type: `rootdir` for a CT's disks, `import` for a cloud image, ... */
  | { kind: 'content'; storage: string; content: string; guest: string; where: string; why: string };

/** What a step's action gets on top of its context: the host to act on. */
export interface ActionContext<T extends Guest | HostSetupStep = Guest> extends StepContext<T> {
  host: HostExec;
  /** Progress line for the runner's display (also written to the run log). */
  report(line: string): void;
  /** Aborted when the run is interrupted: loops that wait (agent, start retries) stop at once. */
  signal?: AbortSignal;
  /** `replace`: this step destroys its guest and builds it again (--replace, planned for this step). */
  flags: { replace: boolean; wipeDisks: boolean };
}

export interface StepFailure {
  /** `950:start` */
  address: string;
  message: string;
  /** The failing command, when one failed. */
  command?: CommandFailure;
}

/** A step spec plus its action: check-then-act against the live host. */
export interface ExecutableStep<T extends Guest | HostSetupStep = Guest> extends StepSpec<T> {
  run(ctx: ActionContext<T>): Promise<Result<void, StepFailure>>;
}

/** What a step table entry must say; the rest has the defaults of defineStep. */
export type StepDefinition<T extends Guest | HostSetupStep> = Pick<
  ExecutableStep<T>,
  'kind' | 'inputs' | 'check' | 'run'
> &
  Partial<
    Pick<
      ExecutableStep<T>,
      | 'instances'
      | 'absent'
      | 'scripts'
      | 'cascades'
      | 'aside'
      | 'preview'
      | 'locks'
      | 'needs'
      | 'predict'
      | 'warning'
    >
  >;

/**
 * A step table entry with the defaults filled in, so the entry shows only what is particular to it: one instance
 * named after its kind, no scripts, no cascade from upstream re-runs, no commands to preview, no extra locks.
 */
export function defineStep<T extends Guest | HostSetupStep>(d: StepDefinition<T>): ExecutableStep<T> {
  return {
    instances: () => [d.kind],
    scripts: () => [],
    cascades: false,
    preview: () => [],
    ...d,
  };
}
