// Runs a plan: listr2 runs one task per step, grouped under its guest; each task passes the scheduler's gate
// (gate.ts: readiness, host locks, critical-path priority) before it does its work, so a step that waits shows as
// waiting. On a terminal listr2 draws the tree; elsewhere one line per event (run-lines.ts). Ctrl-C stops cleanly.
// The caller supplies the work (`execute`) and the bookkeeping (`onSuccess` records the cache), so this module
// knows nothing of hosts or caches and tests drive it with fakes.
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, color } from 'listr2';
import type { ListrTask, ListrTaskWrapper } from 'listr2';
import type { Plan, PlannedStep } from '../plan/types.js';
import { createLineRenderer, startReason, type EventRenderer } from '../reporters/run-lines.js';
import { formatDuration, formatSummary } from '../reporters/run-summary.js';
import { type Result, ok } from '../result.js';
import type { StepFailure } from '../tasks/step.js';
import { createGate, type Outcome, type StepEvent } from './gate.js';
import type { RunSummary } from './summary.js';

export type { RunSummary } from './summary.js';
export type { StepEvent } from './gate.js';

export type RendererName = 'tree' | 'lines' | 'verbose' | 'quiet';

export type Execute = (
  step: PlannedStep,
  signal: AbortSignal,
  report: (line: string) => void,
) => Promise<Result<void, StepFailure>>;

export interface RunPlanOptions {
  execute: Execute;
  /** Called the moment a step succeeds, before anything after it starts: the caller records the cache. */
  onSuccess: (step: PlannedStep, durationMs: number) => Promise<void>;
  /** Called when a step fails, before the run goes on: the caller marks the step's record as failed. */
  onFailure?: (step: PlannedStep, failure: StepFailure) => Promise<void>;
  concurrency: number;
  keepGoing: boolean;
  renderer: RendererName;
  output: NodeJS.WritableStream;
  /** The run log, named in the summary. */
  logFile?: string;
  /** Stop the run from outside (tests, an embedding program); SIGINT/SIGTERM do the same. */
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers for the run's duration (default true). */
  handleSignals?: boolean;
  /** Expected cost of a step for critical-path priority, e.g. its last recorded duration (default 1). */
  weight?: (step: PlannedStep) => number;
  /** Title of a target's group in the tree (default: the target itself). */
  groupTitle?: (target: PlannedStep['target']) => string;
  /** Also write formatSummary to `output` at the end (default false: the CLI prints it). */
  printSummary?: boolean;
}

/** The renderer for an environment: the tree on a TTY, one line per event otherwise or under CI. */
export function chooseRenderer(o: {
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  verbose?: boolean;
  quiet?: boolean;
}): RendererName {
  if (o.quiet) return 'quiet';
  if (o.verbose) return 'verbose';
  const ci = o.env.CI !== undefined && o.env.CI !== '' && o.env.CI !== 'false' && o.env.CI !== '0';
  return o.isTTY && !ci ? 'tree' : 'lines';
}

export async function runPlan(plan: Plan, opts: RunPlanOptions): Promise<RunSummary> {
  const began = Date.now();
  const byAddress = new Map(plan.steps.map((s) => [s.address, s]));
  const work = plan.steps.filter((s) => s.status !== 'up-to-date');
  const stream = opts.output as NodeJS.WriteStream;
  // A tree needs a terminal; elsewhere one line per event reads better than listr2's own fallback.
  const tree = opts.renderer === 'tree' && stream.isTTY === true;
  const lines: EventRenderer | undefined = tree
    ? undefined
    : createLineRenderer(opts.output, opts.renderer === 'tree' ? 'lines' : opts.renderer, (a) =>
        startReason(byAddress.get(a)),
      );
  const wrappers = new Map<string, ListrTaskWrapper<unknown, never, never>>();

  const controller = new AbortController();
  const gate = createGate(plan.steps, {
    concurrency: opts.concurrency,
    keepGoing: opts.keepGoing,
    ...(opts.weight && { weight: (a: string) => opts.weight!(byAddress.get(a)!) }),
    onEvent: (e) => {
      lines?.onEvent(e);
      if (tree) showInTree(e, wrappers.get(e.address), byAddress.get(e.address));
    },
  });
  const stop = () => {
    gate.interrupt();
    controller.abort();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) stop();
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    // `once`: a second Ctrl-C finds no handler and kills the process, the usual escape hatch.
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }

  const stepTask = (step: PlannedStep): ListrTask<unknown> => ({
    title: tree ? `${step.name} ${color.dim('waiting')}` : step.address,
    task: async (_ctx, task) => {
      wrappers.set(step.address, task as ListrTaskWrapper<unknown, never, never>);
      const admission = await gate.admit(step.address);
      if (!admission.run) {
        task.skip(admission.reason);
        return;
      }
      const report = (line: string) => gate.report(step.address, line);
      const t0 = Date.now();
      const outcome = await runOne(step, controller.signal, report, opts);
      admission.done(outcome, Date.now() - t0);
      if (!outcome.ok) throw new Error(outcome.error.message);
    },
    rendererOptions: { outputBar: opts.renderer === 'verbose' ? 10 : 1, persistentOutput: false },
  });
  const groups = new Map<PlannedStep['target'], PlannedStep[]>();
  for (const s of work) groups.set(s.target, [...(groups.get(s.target) ?? []), s]);
  const title = opts.groupTitle ?? ((t: PlannedStep['target']) => String(t));
  const logger = new ListrLogger({
    useIcons: true,
    toStderr: [],
    processOutput: new ProcessOutput(stream, stream),
  });
  const listr = new Listr(
    [...groups].map(([target, steps]) => ({
      title: title(target),
      task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
        task.newListr(steps.map(stepTask), { concurrent: true, exitOnError: false }),
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false, // The runner handles Ctrl-C: it must stop steps cleanly, not exit.
      renderer: tree ? TreeRenderer : 'silent',
      rendererOptions: {
        // A guest whose steps are all done folds into its one line, leaving the screen to the running ones.
        collapseSubtasks: true,
        collapseErrors: false,
        collapseSkips: false,
        showSkipMessage: true,
        logger,
      },
    },
  );
  try {
    await listr.run().catch(() => undefined); // failures are the gate's to report, not listr2's
    const result = await gate.finished;
    await lines?.end();
    const summary: RunSummary = {
      ran: result.ran,
      skipped: result.skipped.map((s) => s.address),
      skipReasons: Object.fromEntries(result.skipped.map((s) => [s.address, s.reason])),
      failed: result.failed,
      blocked: result.blocked,
      upToDate: result.upToDate,
      wallMs: Date.now() - began,
      logFile: opts.logFile ?? '',
      interrupted: result.interrupted,
    };
    if (opts.printSummary) opts.output.write(`${formatSummary(summary)}\n`);
    return summary;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    if (handleSignals) {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  }
}

/**
 * listr2's tree, drawn on the stream the runner was given (stderr). listr2 would fall back to plain lines when
 * process.stdout is not a terminal (`phoenix LetsGo | tee`); runPlan picks the tree only when its own stream is one.
 */
class TreeRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

/** A gate event as the tree shows it: the title says waiting / running / done; durations are the step's own. */
function showInTree(
  e: StepEvent,
  task: ListrTaskWrapper<unknown, never, never> | undefined,
  step: PlannedStep | undefined,
): void {
  if (!task || !step) return;
  switch (e.type) {
    case 'wait':
      task.title = `${step.name} ${color.dim(`waiting for ${e.on}`)}`;
      return;
    case 'start': {
      const reason = startReason(step);
      task.title = reason === undefined ? step.name : `${step.name} ${color.dim(reason)}`;
      return;
    }
    case 'output':
      task.output = e.line;
      return;
    case 'success':
    case 'failure':
      task.title = `${step.name} ${color.dim(formatDuration(e.durationMs))}`;
      return;
    case 'skip':
      task.title = step.name;
  }
}

/** Execute one step and record its success; an exception (a bug) becomes that step's failure, not a crash. */
async function runOne(
  step: PlannedStep,
  signal: AbortSignal,
  report: (line: string) => void,
  opts: RunPlanOptions,
): Promise<Outcome> {
  const began = Date.now();
  let outcome: Outcome;
  try {
    outcome = await opts.execute(step, signal, report);
  } catch (e) {
    outcome = { ok: false, error: { address: step.address, message: `internal error: ${errorText(e)}` } };
  }
  if (!outcome.ok) {
    // Best effort: a cache that cannot be written is reported by the next success, not by this failure.
    await opts.onFailure?.(step, outcome.error).catch(() => undefined);
    return outcome;
  }
  try {
    await opts.onSuccess(step, Date.now() - began);
    return ok(undefined);
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

/** The exit status a run implies: 0 when everything ran, 1 on a failure or a blocked step, 130 when interrupted. */
export function runExitCode(summary: RunSummary): number {
  if (summary.interrupted) return 130;
  return summary.failed.length > 0 || summary.blocked.length > 0 ? 1 : 0;
}
