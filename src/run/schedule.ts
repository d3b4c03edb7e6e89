// Executes a plan as a DAG: a step starts as soon as every predecessor succeeded, at most `concurrency` at once,
// the ready step with the longest remaining chain first (so the critical path never waits behind short branches),
// never two steps holding the same host lock (a waiting step leaves its slot to other work).
// Pure of any rendering: it emits events; renderers and the summary consume them.
import type { PlannedStep } from '../plan/types.js';
import type { Result } from '../result.js';
import type { StepFailure } from '../tasks/step.js';

export type StepEvent =
  | { type: 'start'; address: string }
  | { type: 'output'; address: string; line: string }
  | { type: 'success'; address: string; durationMs: number }
  | { type: 'failure'; address: string; durationMs: number; failure: StepFailure }
  | { type: 'skip'; address: string; reason: string };

export type Execute = (
  step: PlannedStep,
  signal: AbortSignal,
  report: (line: string) => void,
) => Promise<Result<void, StepFailure>>;

export interface ScheduleOptions {
  execute: Execute;
  /** Called when a step succeeded, before any step after it starts (the caller records the cache here). */
  onSuccess: (step: PlannedStep, durationMs: number) => Promise<void>;
  concurrency: number;
  /** Finish every branch that does not depend on a failure (default: start nothing new after one). */
  keepGoing: boolean;
  /** Aborting it stops the run: in-flight steps get the abort, nothing new starts. */
  signal?: AbortSignal;
  /** Expected cost of a step for critical-path priority (e.g. its last duration); default 1. */
  weight?: (step: PlannedStep) => number;
  onEvent?: (event: StepEvent) => void;
}

export interface ScheduleResult {
  /** Steps that ran and succeeded, in completion order. */
  ran: string[];
  /** Steps that did not run, each with why (upstream failure, blocked, stopped). */
  skipped: { address: string; reason: string }[];
  failed: StepFailure[];
  /** Steps the plan already had up to date (never executed). */
  upToDate: number;
  /** Blocked steps (needs --replace), never executed. */
  blocked: string[];
  interrupted: boolean;
}

type State = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export async function schedule(
  steps: readonly PlannedStep[],
  opts: ScheduleOptions,
): Promise<ScheduleResult> {
  const byAddress = new Map(steps.map((s) => [s.address, s]));
  const preds = new Map(steps.map((s) => [s.address, s.after.filter((a) => byAddress.has(a))]));
  const succs = new Map<string, string[]>(steps.map((s) => [s.address, []]));
  for (const [address, ps] of preds) for (const p of ps) succs.get(p)?.push(address);
  const rank = criticalPathRanks(steps, succs, opts.weight ?? (() => 1));
  const order = new Map(steps.map((s, i) => [s.address, i]));

  const state = new Map<string, State>(steps.map((s) => [s.address, 'pending']));
  const result: ScheduleResult = {
    ran: [],
    skipped: [],
    failed: [],
    upToDate: 0,
    blocked: [],
    interrupted: false,
  };
  const controller = new AbortController();
  const emit = (e: StepEvent) => opts.onEvent?.(e);
  let stopped: string | undefined; // Why nothing new starts (fail-fast or interrupt).
  const running = new Map<string, Promise<void>>();
  const held = new Set<string>(); // Host locks of the running steps.

  const onAbort = () => {
    result.interrupted = true;
    stopped ??= 'interrupted';
    controller.abort();
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  // The failed or blocked step at the root of each skip, named in the reasons people read.
  const cause = new Map<string, string>();
  const causeText = (root: string) =>
    state.get(root) === 'failed' ? `upstream ${root} failed` : `upstream ${root} is blocked`;

  const skip = (address: string, reason: string) => {
    state.set(address, 'skipped');
    const step = byAddress.get(address);
    // An up-to-date step downstream of a failure is not work that was skipped; it only passes the failure on.
    if (step?.status === 'stale') {
      result.skipped.push({ address, reason });
      emit({ type: 'skip', address, reason });
    }
  };

  /** Settle every pending step whose fate is known without running it; returns the stale steps ready to run. */
  const settle = (): string[] => {
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
          emit({ type: 'skip', address: a, reason: `blocked: ${step.blocked ?? 'needs --replace'}` });
          changed = true;
        } else if (bad !== undefined) {
          const root = cause.get(bad) ?? bad;
          cause.set(a, root);
          skip(a, causeText(root));
          changed = true;
        } else if (step.status === 'up-to-date' && ps.every((p) => state.get(p) === 'done')) {
          state.set(a, 'done');
          changed = true;
        }
      }
    }
    return steps
      .filter((s) => s.status === 'stale' && state.get(s.address) === 'pending')
      .filter((s) => (preds.get(s.address) ?? []).every((p) => state.get(p) === 'done'))
      .map((s) => s.address)
      .sort((a, b) => (rank.get(b) ?? 0) - (rank.get(a) ?? 0) || (order.get(a) ?? 0) - (order.get(b) ?? 0));
  };

  const start = (address: string) => {
    const step = byAddress.get(address);
    if (!step) return;
    state.set(address, 'running');
    for (const l of step.locks ?? []) held.add(l);
    emit({ type: 'start', address });
    const began = Date.now();
    const report = (line: string) => emit({ type: 'output', address, line });
    const work = runOne(step, controller.signal, report, opts).then((outcome) => {
      const durationMs = Date.now() - began;
      running.delete(address);
      for (const l of step.locks ?? []) held.delete(l);
      if (outcome.ok) {
        state.set(address, 'done');
        result.ran.push(address);
        emit({ type: 'success', address, durationMs });
        return;
      }
      state.set(address, 'failed');
      result.failed.push(outcome.error);
      emit({ type: 'failure', address, durationMs, failure: outcome.error });
      if (!opts.keepGoing) stopped ??= `run stopped after ${address} failed`;
    });
    running.set(address, work);
  };

  const limit = Math.max(1, Math.floor(opts.concurrency));
  for (;;) {
    const ready = settle();
    if (stopped === undefined)
      for (const a of ready) {
        if (running.size >= limit) break;
        if (!(byAddress.get(a)?.locks ?? []).some((l) => held.has(l))) start(a);
      }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  opts.signal?.removeEventListener('abort', onAbort);

  // Whatever is still pending could not start: stopped, or waiting on a step that never completed (a cycle).
  for (const step of steps) {
    if (state.get(step.address) !== 'pending') continue;
    skip(
      step.address,
      stopped !== undefined ? `not started: ${stopped}` : 'not started: its predecessors never completed',
    );
  }
  result.upToDate = steps.filter((s) => s.status === 'up-to-date').length;
  return result;
}

/** Execute one step and record its success; an exception (a bug) becomes that step's failure, not a crash. */
async function runOne(
  step: PlannedStep,
  signal: AbortSignal,
  report: (line: string) => void,
  opts: ScheduleOptions,
): Promise<Result<void, StepFailure>> {
  const began = Date.now();
  try {
    const outcome = await opts.execute(step, signal, report);
    if (!outcome.ok) return outcome;
  } catch (e) {
    return { ok: false, error: { address: step.address, message: `internal error: ${errorText(e)}` } };
  }
  try {
    await opts.onSuccess(step, Date.now() - began);
    return { ok: true, value: undefined };
  } catch (e) {
    return {
      ok: false,
      error: { address: step.address, message: `succeeded but could not be recorded: ${errorText(e)}` },
    };
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Longest remaining chain of work from each step to the end of the plan (its own weight included). */
function criticalPathRanks(
  steps: readonly PlannedStep[],
  succs: ReadonlyMap<string, string[]>,
  weight: (step: PlannedStep) => number,
): Map<string, number> {
  const byAddress = new Map(steps.map((s) => [s.address, s]));
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (address: string): number => {
    const known = rank.get(address);
    if (known !== undefined) return known;
    if (visiting.has(address)) return 0; // A cycle: the scheduler reports its steps as never started.
    visiting.add(address);
    const step = byAddress.get(address);
    const own = step?.status === 'stale' ? Math.max(0, weight(step)) : 0;
    const next = Math.max(0, ...(succs.get(address) ?? []).map(visit));
    visiting.delete(address);
    rank.set(address, own + next);
    return own + next;
  };
  for (const s of steps) visit(s.address);
  return rank;
}
