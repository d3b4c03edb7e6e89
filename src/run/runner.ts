// Runs a plan: the scheduler executes the stale steps along the DAG, a renderer shows it, Ctrl-C stops cleanly.
// The caller supplies the work (`execute`) and the bookkeeping (`onSuccess` records the cache), so this module
// knows nothing of hosts or caches and tests drive it with fakes.
import type { Plan, PlannedStep } from '../plan/types.js';
import { createLineRenderer } from '../reporters/run-lines.js';
import type { EventRenderer } from '../reporters/run-lines.js';
import { formatSummary } from '../reporters/run-summary.js';
import { schedule } from './schedule.js';
import type { Execute } from './schedule.js';
import type { RunSummary } from './summary.js';

export type { RunSummary } from './summary.js';
export type { Execute, StepEvent } from './schedule.js';

export type RendererName = 'tree' | 'lines' | 'verbose' | 'quiet';

export interface RunPlanOptions {
  execute: Execute;
  /** Called the moment a step succeeds, before anything after it starts: the caller records the cache. */
  onSuccess: (step: PlannedStep, durationMs: number) => Promise<void>;
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
  const work = plan.steps.filter((s) => s.status !== 'up-to-date');
  const renderer = await createRenderer(opts.renderer, work, opts.output);

  const controller = new AbortController();
  const stop = () => controller.abort();
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) stop();
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    // `once`: a second Ctrl-C finds no handler and kills the process, the usual escape hatch.
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  try {
    const result = await schedule(plan.steps, {
      execute: opts.execute,
      onSuccess: opts.onSuccess,
      concurrency: opts.concurrency,
      keepGoing: opts.keepGoing,
      signal: controller.signal,
      ...(opts.weight ? { weight: opts.weight } : {}),
      onEvent: (e) => renderer.onEvent(e),
    });
    await renderer.end();
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

async function createRenderer(
  name: RendererName,
  work: readonly PlannedStep[],
  output: NodeJS.WritableStream,
): Promise<EventRenderer> {
  // A tree needs a terminal; elsewhere one line per event reads better than listr2's own fallback.
  if (name !== 'tree' || (output as NodeJS.WriteStream).isTTY !== true) {
    return createLineRenderer(output, name === 'tree' ? 'lines' : name);
  }
  // listr2 is loaded only when a tree is drawn: start-up time is benchmarked.
  const { createTreeRenderer } = await import('../reporters/run-tree.js');
  return createTreeRenderer(work, output, { verbose: false });
}

/** The exit status a run implies: 0 when everything ran, 1 on a failure or a blocked step, 130 when interrupted. */
export function runExitCode(summary: RunSummary): number {
  if (summary.interrupted) return 130;
  return summary.failed.length > 0 || summary.blocked.length > 0 ? 1 : 0;
}
