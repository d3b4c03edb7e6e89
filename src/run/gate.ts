// The scheduler, as a gate each step's task passes before it runs: a step is admitted once every predecessor
// succeeded, at most `concurrency` at once, the ready step with the longest remaining chain first (so the critical
// path never waits behind short branches), never two steps holding the same host lock (a step waiting for a lock
// leaves its slot to other work). The tasks themselves are run by listr2 (runner.ts); the gate only decides.
// Pure of rendering: it emits events, which the renderers and the summary consume.
import type { Result } from '../result.js';
import type { StepFailure } from '../tasks/step.js';
import type { StepStatus } from '../plan/types.js';

/** What the gate needs of a step: planned build steps and power steps alike. */
export interface Schedulable {
  address: string;
  status: StepStatus;
  /** Addresses that must succeed first (edges restricted to the steps being run). */
  after: string[];
  /** Host locks held while running: no two holders of one lock run at once. */
  locks?: string[];
  /** Why a blocked step cannot run. */
  blocked?: string;
}

export type StepEvent =
  | { type: 'wait'; address: string; on: string }
  | { type: 'start'; address: string }
  | { type: 'output'; address: string; line: string }
  | { type: 'success'; address: string; durationMs: number }
  | { type: 'failure'; address: string; durationMs: number; failure: StepFailure }
  | { type: 'skip'; address: string; reason: string };

export type Outcome = Result<void, StepFailure>;

/** The gate's answer to a step: run it now (then report how it went), or skip it with a reason. */
export type Admission =
  { run: true; done(outcome: Outcome, durationMs: number): void } | { run: false; reason: string };

export interface GateOptions {
  concurrency: number;
  /** Finish every branch that does not depend on a failure (default: admit nothing new after one). */
  keepGoing: boolean;
  /** Expected cost of a step for critical-path priority (e.g. its last duration); default 1. */
  weight?: (address: string) => number;
  onEvent?: (event: StepEvent) => void;
}

export interface GateResult {
  /** Steps that ran and succeeded, in completion order. */
  ran: string[];
  /** Stale steps that did not run, each with why (upstream failure, blocked, stopped). */
  skipped: { address: string; reason: string }[];
  failed: StepFailure[];
  /** Steps the plan already had up to date (never run). */
  upToDate: number;
  /** Blocked steps, never run. */
  blocked: string[];
  interrupted: boolean;
}

export interface Gate {
  /** Resolves when the step may run, or when it never will (skip). Each stale step asks exactly once. */
  admit(address: string): Promise<Admission>;
  /** A line of a running step's progress (command output under --verbose), passed on as an event. */
  report(address: string, line: string): void;
  /** Stop admitting (Ctrl-C): steps still waiting are skipped as interrupted; running ones finish or abort. */
  interrupt(): void;
  /** Resolves once every stale and blocked step has an outcome. */
  readonly finished: Promise<GateResult>;
}

type State = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export function createGate(steps: readonly Schedulable[], opts: GateOptions): Gate {
  const byAddress = new Map(steps.map((s) => [s.address, s]));
  const preds = new Map(steps.map((s) => [s.address, s.after.filter((a) => byAddress.has(a))]));
  const succs = new Map<string, string[]>(steps.map((s) => [s.address, []]));
  for (const [address, ps] of preds) for (const p of ps) succs.get(p)?.push(address);
  const rank = criticalPathRanks(steps, succs, opts.weight ?? (() => 1));
  const order = new Map(steps.map((s, i) => [s.address, i]));
  const limit = Math.max(1, Math.floor(opts.concurrency));
  const emit = (e: StepEvent) => opts.onEvent?.(e);

  const state = new Map<string, State>(steps.map((s) => [s.address, 'pending']));
  const waiting = new Map<string, (a: Admission) => void>();
  /** Why each settled step will not run, for a task that asks after the gate decided. */
  const refused = new Map<string, string>();
  /** Lock -> the running step holding it. */
  const held = new Map<string, string>();
  /** What each waiting step was last reported waiting on (one event per change, not per turn). */
  const waitsOn = new Map<string, string>();
  const result: GateResult = {
    ran: [],
    skipped: [],
    failed: [],
    upToDate: 0,
    blocked: [],
    interrupted: false,
  };
  let running = 0;
  let stopped: string | undefined; // Why nothing new is admitted (fail-fast or interrupt).
  let finish!: (r: GateResult) => void;
  const finished = new Promise<GateResult>((resolve) => (finish = resolve));
  // The failed or blocked step at the root of each skip, named in the reasons people read.
  const cause = new Map<string, string>();

  const refuse = (address: string, reason: string) => {
    refused.set(address, reason);
    const ask = waiting.get(address);
    waiting.delete(address);
    ask?.({ run: false, reason });
  };

  const waitEvent = (address: string, on: string) => {
    if (waitsOn.get(address) === on) return;
    waitsOn.set(address, on);
    emit({ type: 'wait', address, on });
  };

  const skip = (address: string, reason: string) => {
    state.set(address, 'skipped');
    if (byAddress.get(address)?.status === 'stale') {
      // An up-to-date step downstream of a failure is not work that was skipped; it only passes the failure on.
      result.skipped.push({ address, reason });
      emit({ type: 'skip', address, reason });
    }
    refuse(address, reason);
  };

  /** Settle every pending step whose fate is known without running it. */
  const settle = () => {
    for (let changed = true; changed;) {
      changed = false;
      for (const step of steps) {
        const a = step.address;
        if (state.get(a) !== 'pending') continue;
        const ps = preds.get(a) ?? [];
        const bad = ps.find((p) => state.get(p) === 'failed' || state.get(p) === 'skipped');
        if (step.status === 'blocked') {
          state.set(a, 'skipped');
          result.blocked.push(a);
          const reason = `blocked: ${step.blocked ?? 'needs --replace'}`;
          emit({ type: 'skip', address: a, reason });
          refuse(a, reason);
          changed = true;
        } else if (bad !== undefined) {
          const root = cause.get(bad) ?? bad;
          cause.set(a, root);
          skip(a, state.get(root) === 'failed' ? `upstream ${root} failed` : `upstream ${root} is blocked`);
          changed = true;
        } else if (step.status === 'up-to-date' && ps.every((p) => state.get(p) === 'done')) {
          state.set(a, 'done');
          changed = true;
        }
      }
    }
  };

  /** Admit the highest-ranked ready steps that asked, while slots and locks allow. */
  const admitReady = () => {
    const ready = [...waiting.keys()]
      .filter((a) => state.get(a) === 'pending' && (preds.get(a) ?? []).every((p) => state.get(p) === 'done'))
      .sort((a, b) => (rank.get(b) ?? 0) - (rank.get(a) ?? 0) || (order.get(a) ?? 0) - (order.get(b) ?? 0));
    for (const a of ready) {
      if (running >= limit) break;
      const locks = byAddress.get(a)?.locks ?? [];
      const taken = locks.find((l) => held.has(l));
      if (taken !== undefined) {
        waitEvent(a, `${held.get(taken)} (holds ${taken})`);
        continue;
      }
      for (const l of locks) held.set(l, a);
      running++;
      state.set(a, 'running');
      const grant = waiting.get(a)!;
      waiting.delete(a);
      emit({ type: 'start', address: a });
      grant({ run: true, done: (outcome, durationMs) => complete(a, outcome, durationMs) });
    }
  };

  const complete = (address: string, outcome: Outcome, durationMs: number) => {
    running--;
    for (const l of byAddress.get(address)?.locks ?? []) held.delete(l);
    waitsOn.delete(address);
    if (outcome.ok) {
      state.set(address, 'done');
      result.ran.push(address);
      emit({ type: 'success', address, durationMs });
    } else {
      state.set(address, 'failed');
      result.failed.push(outcome.error);
      emit({ type: 'failure', address, durationMs, failure: outcome.error });
      if (!opts.keepGoing) stopped ??= `run stopped after ${address} failed`;
    }
    step();
  };

  /**
   * One turn: settle what is known; once every task has arrived at the gate, admit what can run by priority (so
   * the first task to arrive does not win by arriving first); finish when nothing runs and nothing more can.
   */
  const step = () => {
    settle();
    const open = () => steps.filter((s) => s.status === 'stale' && state.get(s.address) === 'pending');
    const arrived = open().every((s) => waiting.has(s.address));
    if (stopped === undefined && arrived) admitReady();
    if (running > 0 || (stopped === undefined && !arrived)) return;
    // Nothing runs and nothing can be admitted: stopped (fail-fast, Ctrl-C), or the rest wait on a step that never
    // completes (a cycle). Either way they are skipped rather than left hanging.
    for (const s of open()) skip(s.address, `not started: ${stopped ?? 'its predecessors never completed'}`);
    result.upToDate = steps.filter((s) => s.status === 'up-to-date').length;
    finish(result);
  };

  step(); // a plan with no work is finished at once
  return {
    admit(address) {
      const decided = refused.get(address);
      if (decided !== undefined || state.get(address) !== 'pending')
        return Promise.resolve({ run: false, reason: decided ?? 'asked twice' });
      const admitted = new Promise<Admission>((resolve) => waiting.set(address, resolve));
      const blocker = (preds.get(address) ?? []).find((p) => state.get(p) !== 'done');
      if (blocker !== undefined) waitEvent(address, blocker);
      step();
      return admitted;
    },
    report(address, line) {
      emit({ type: 'output', address, line });
    },
    interrupt() {
      result.interrupted = true;
      stopped ??= 'interrupted';
      step();
    },
    finished,
  };
}

/** Longest remaining chain of work from each step to the end of the plan (its own weight included). */
function criticalPathRanks(
  steps: readonly Schedulable[],
  succs: ReadonlyMap<string, string[]>,
  weight: (address: string) => number,
): Map<string, number> {
  const byAddress = new Map(steps.map((s) => [s.address, s]));
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (address: string): number => {
    const known = rank.get(address);
    if (known !== undefined) return known;
    if (visiting.has(address)) return 0; // A cycle: the gate reports its steps as never started.
    visiting.add(address);
    const own = byAddress.get(address)?.status === 'stale' ? Math.max(0, weight(address)) : 0;
    const next = Math.max(0, ...(succs.get(address) ?? []).map(visit));
    visiting.delete(address);
    rank.set(address, own + next);
    return own + next;
  };
  for (const s of steps) visit(s.address);
  return rank;
}
