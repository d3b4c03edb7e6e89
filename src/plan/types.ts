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
  | { type: 'forced' }
  /** The fingerprint differs although inputs, scripts and upstream are the same: Phoenix's format changed. */
  | { type: 'format-changed' }
  /**
   * A clone (its `define`) made from a build of its source that is gone or going: the source's snapshot was (or
   * is about to be) re-taken, or the source re-created. Only re-creating the clone gives it the new build.
   */
  | { type: 'older-source'; address: string; detail: string }
  /** The step's last run failed after it had succeeded once: the host may be half-way. */
  | { type: 'failed'; at: string; message: string }
  /** An action the user asked for (`phoenix stop 950`, `phoenix test 950`): `detail` says what it does. */
  | { type: 'requested'; detail: string };

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
  /** Upstream address -> fingerprint folded into this one (cascading edges); recorded so `why` can name a change. */
  upstream?: Record<string, string>;
  /** Set on a guest's `define` when it will destroy and re-create the guest (`--replace`). */
  replace?: boolean;
  /** Set when it redoes its work over a result in place (see StepContext.redo): the runner passes it on. */
  redo?: boolean;
  /** Set on a `snapshot` step that deletes and takes again the snapshot named here. */
  retake?: string;
  /** A danger of running the step, said beside it (StepSpec.warning). */
  warning?: string;
  /**
   * On a clone's `define`: the build of its source it is (or will be) made from, recorded with the step so a
   * later plan can tell when the source moved on (a re-taken snapshot, a re-created source).
   */
  source?: CloneSource;
  /** Addresses of planned steps that must succeed first (graph edges restricted to this plan). */
  after: string[];
  /** Commands it would run, from the state read before planning. */
  preview: Argv[];
  /** Host locks it holds while running (see StepSpec.locks): the runner serializes steps sharing one. */
  locks?: string[];
  /**
   * Settings this step already gave their configured value that Proxmox holds as pending until the guest's next
   * start (a change to a running guest it cannot apply live). `phoenix restart <id>` applies them.
   */
  pendingRestart?: Diff[];
  /**
   * Set on a step the user asked for that is not a node of the step graph (engine/requests.ts): a power action
   * (start, stop, destroy) or a test run. Its commands are `preview`, run in order.
   */
  requested?: {
    action: 'start' | 'stop' | 'destroy' | 'test';
    /** What it did, for the user: `started 950 (lxc, vllm-qwen)`. */
    note: string;
    /** Pause after it before the next step may start (the boot delay between starts). */
    delayMs: number;
    /** Extra environment for its commands. */
    env?: Record<string, string>;
    /** Its commands' output is the verb's output (a test runner's report): streamed to stdout, also on failure. */
    streamOutput?: boolean;
  };
}

/** The source step a clone was made from: its fingerprint then, and the source guest's incarnation. */
export interface CloneSource {
  address: string;
  fingerprint: string;
  incarnation?: string;
}

/** What the user asked for. */
export interface PlanRequest {
  /** Step addresses (`950:start`, `host:zfs`); a guest ID or `host` means its last step; empty means everything. */
  targets: string[];
  /** Steps to re-run whatever the cache says; a guest ID or `host` means all of its steps. */
  force?: string[];
  /** Allow changes that destroy and re-create a guest, or re-take a snapshot clones were made from. */
  replace?: boolean;
  /** Plan as if nothing had ever run (the original bash pattern): every step is stale. */
  noCache?: boolean;
}

export interface Plan {
  /** Every step the request covers, in a topological order; stale and blocked ones are the work. */
  steps: PlannedStep[];
  /**
   * What the host lacks for the work (engine/preflight.ts): an OS template its catalogue does not have, a storage
   * without a content type. A plan with problems runs nothing.
   */
  problems?: string[];
  /**
   * Host setup steps (`host:*`) out of date that this plan of guests leaves out: `phoenix setup` runs them
   * (engine/plan.ts staleSetup). Said in `plan` and `LetsGo` so setup is never skipped silently.
   */
  setupLeftOut?: string[];
  /** Guests of the plan found on another node than the config or an earlier placement names (engine/plan.ts). */
  moved?: MovedGuest[];
}

/** A guest found on another node than expected (HA, a migration): worked on where it is, never re-created. */
export interface MovedGuest {
  id: number;
  kind: 'lxc' | 'vm';
  /** Where the config's `node` key (configured) or an earlier run's placement put it. */
  from: string;
  /** Where it is now (/cluster/resources). */
  to: string;
  configured: boolean;
}
