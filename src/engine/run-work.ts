// The running half of the Make loop: print a plan (--dry-run) or run its stale steps — build steps and requested
// steps alike — with the one scheduler (src/run), record each success at once, and report.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostSetupStep, LxcGuest, VmGuest } from '../config/model.js';
import { ensureHypervisorJson } from '../config/hypervisor-file.js';
import { stepsOf, targetOf } from '../graph/query.js';
import type { StepNode } from '../graph/types.js';
import { bindHost } from '../host/bind.js';
import type { LiveState } from '../host/live.js';
import { recordFor } from '../plan/record.js';
import type { Plan, PlannedStep } from '../plan/types.js';
import { peopleOut, type Output } from '../reporters/output.js';
import { formatPlan, movedLines, planToJson, setupNote, typoNotes } from '../reporters/plan.js';
import { runToJson } from '../reporters/run-json.js';
import { formatSummary } from '../reporters/run-summary.js';
import { err, ok, type Result } from '../result.js';
import { runPlan } from '../run/runner.js';
import type { ExecutableStep, StepFailure } from '../tasks/step.js';
import { EXIT } from './exit-codes.js';
import { planFor, type ConvergeRequest, type Planned } from './plan.js';
import type { Session } from './session.js';
import type { VerbContext } from './context.js';

/**
 * Plan (unless the caller already did), then run the stale steps. On --dry-run the plan is printed instead and
 * nothing is touched. A plan with no work runs nothing and spawns no process beyond the live reads.
 */
/** What running work needs of the verb: where to print, and how to ask before destroying anything. */
export type WorkContext = Pick<VerbContext, 'io' | 'confirm' | 'argv'>;

export async function converge(
  session: Session,
  ctx: WorkContext,
  request: ConvergeRequest,
  planned?: Planned,
): Promise<number> {
  const { io } = ctx;
  if (!planned) {
    const read = await planFor(session, request);
    if (!read.ok) {
      io.err(`Error: could not read the host state: ${read.error}`);
      return EXIT.failed;
    }
    planned = read.value;
  }
  return runWork(session, ctx, planned);
}

/**
 * The one way work runs: print the plan on --dry-run (touching nothing), else run its stale steps — build steps
 * and power steps alike — with the one scheduler, record each success at once, and report. Returns the exit code.
 */
export async function runWork(
  session: Session,
  ctx: WorkContext,
  { plan, live }: { plan: Plan; live: LiveState },
): Promise<number> {
  const { io } = ctx;
  for (const [id, g] of live.guests)
    if (g.incarnation !== undefined) session.incarnations.set(id, g.incarnation);
  const work = plan.steps.filter((s) => s.status === 'stale').length;
  const pace = `${work} step${work === 1 ? '' : 's'}, up to ${session.options.concurrency} at a time`;
  if (plan.problems && !session.options.dryRun) {
    for (const problem of plan.problems) io.err(`Error: ${problem}`);
    io.err('Nothing was run: the host lacks what the plan needs (above).');
    return EXIT.failed;
  }
  if (session.options.dryRun) {
    if (session.options.json) io.out(JSON.stringify(planToJson(plan), null, 2));
    else io.out(formatPlan(plan, { color: io.color, diffNote: typoNotes(session.fleet.keyTypos ?? []) }));
    if (!session.options.json) io.err(`Dry run: would run ${pace}; nothing was changed.`);
    return plan.problems ? EXIT.failed : EXIT.ok;
  }
  // --replace never destroys without a yes: a prompt on a terminal, --yes elsewhere (exit 2, nothing changed).
  const doomed = plan.steps.filter((s) => s.status === 'stale' && s.replace);
  if (doomed.length > 0) {
    const list = doomed.map((s) => targetTitle(session, s.target)).join(', ');
    const them = doomed.length === 1 ? 'it' : 'them';
    if (
      !(await ctx.confirm(
        `--replace destroys ${list} with ${doomed.length === 1 ? 'its' : 'their'} disks, then builds ${them} again.`,
      ))
    )
      return EXIT.usage;
  }
  // A cluster: its run lock, so two machines' runs do not interleave; taken only now that there is work (a no-op
  // run pays no ssh for it), unless `--wait` took it before planning (engine/frame.ts).
  const cluster =
    work > 0 && !session.clusterLocked && session.host.clusterLock
      ? await session.host.clusterLock({
          command: ['phoenix', ...ctx.argv].join(' '),
          wait: false,
          ...(session.signal && { signal: session.signal }),
        })
      : undefined;
  if (cluster !== undefined && !cluster.ok) {
    io.err(cluster.error);
    return EXIT.locked;
  }
  if (cluster?.value.warning !== undefined) io.err(`warning: ${cluster.value.warning}`);
  try {
    return await runLocked(session, ctx, { plan, live }, work, pace);
  } finally {
    await cluster?.value.release();
  }
}

/** The run itself, under every lock it needs. */
async function runLocked(
  session: Session,
  { io }: WorkContext,
  { plan, live }: { plan: Plan; live: LiveState },
  work: number,
  pace: string,
): Promise<number> {
  // --quiet: only failures and the final line (the summary) on stderr.
  const quiet = session.options.renderer === 'quiet';
  if (!quiet) for (const line of movedLines(plan, io.color)) io.err(line);
  if (work > 0 && !quiet) io.err(`Running ${pace}.`);
  // A step's danger (a firewall that may cut the user off) is said before it runs, even to those who skipped plan.
  for (const s of plan.steps)
    if (s.status === 'stale' && s.warning !== undefined && !quiet)
      io.err(`Warning: ${s.address}: ${s.warning}`);
  // For --json: what each step ran and how long it took, printed with the plan once the run is over.
  const commands = new Map<string, string[][]>();
  const durations = new Map<string, number>();
  const json = session.options.json;
  const said = peopleOut(io, json);
  // Host and feature scripts read the hypervisor settings from a file: written now, not when the config loads.
  if (plan.steps.some((s) => s.target === 'host' && s.status === 'stale')) {
    const unwritable = await ensureHypervisorJson(session.fleet);
    if (unwritable !== undefined) {
      io.err(`Error: ${unwritable}`);
      return EXIT.failed;
    }
  }
  const summary = await runPlan(plan, {
    concurrency: session.options.concurrency,
    keepGoing: session.options.keepGoing,
    renderer: io.isTTY
      ? session.options.renderer
      : session.options.renderer === 'tree'
        ? 'lines'
        : session.options.renderer,
    output: io.stderr,
    ...(session.logFile !== undefined && { logFile: session.logFile }),
    // The verb's frame owns SIGINT/SIGTERM (engine/interrupt.ts): the run stops when it says so.
    ...(session.signal && { signal: session.signal, handleSignals: false }),
    groupTitle: (t) => targetTitle(session, t),
    // Critical-path priority by what each step cost last time.
    weight: (step) => session.cache.get(step.address)?.durationMs ?? 1000,
    execute: async (step, signal, report) => {
      const began = Date.now();
      const onCommand = (argv: string[]): void => {
        commands.set(step.address, [...(commands.get(step.address) ?? []), argv]);
      };
      const result = await executeStep(session, io, live, step, { signal, report, onCommand });
      durations.set(step.address, Date.now() - began);
      return result;
    },
    onFailure: (step, failure) => recordFailure(session, step, failure),
    onSuccess: async (step, durationMs) => {
      await recordSuccess(session, step, durationMs);
      if (step.requested && !step.requested.streamOutput) said(`${step.target}: ${step.requested.note}`);
    },
  });
  io.err(formatSummary(summary, { color: io.color }));
  const blocked = plan.steps.filter((s) => s.status === 'blocked');
  if (blocked.length > 0) {
    for (const b of blocked) io.err(`blocked: ${b.address}: ${b.blocked ?? ''}`);
  }
  const setup = setupNote(plan);
  if (setup !== undefined && !quiet) io.err(setup);
  if (json) io.out(JSON.stringify(runToJson(plan, { summary, durations, commands }), null, 2));
  return summary.interrupted
    ? EXIT.interrupted
    : summary.failed.length > 0 || blocked.length > 0
      ? EXIT.failed
      : EXIT.ok;
}

/**
 * A verb that found nothing to run and returns early: with --json it still prints its one document (the plan,
 * every step up to date or left as it is), so a script always gets one.
 */
export function reportNoWork(session: Session, io: Output, plan: Plan): void {
  if (session.options.json) io.out(JSON.stringify(runToJson(plan, undefined), null, 2));
}

/** `950 (lxc, vllm-qwen)`, or `host`: a group's title in the run's tree. */
function targetTitle(session: Session, target: number | 'host'): string {
  if (target === 'host') return 'host (hypervisor setup)';
  const g = session.fleet.guests.get(target);
  return g ? `${target} (${g.kind}, ${g.config.name})` : String(target);
}

/** How a running step is watched: its abort signal, its report lines, and each command it starts (for --json). */
interface StepWatch {
  signal: AbortSignal;
  report: (line: string) => void;
  onCommand: (argv: string[]) => void;
}

async function executeStep(
  session: Session,
  io: Output,
  live: LiveState,
  step: PlannedStep,
  { signal, report, onCommand }: StepWatch,
): Promise<Result<void, StepFailure>> {
  if (step.requested) return executeRequested(session, io, step, step.requested, { signal, onCommand });
  const node: StepNode = session.graph.getNodeAttributes(step.address);
  // On a cluster a step's commands go to its guest's node (one node's CLI runs everything where it is).
  const host =
    node.kind === 'host'
      ? (session.host.forHostSetup?.() ?? session.host)
      : (session.host.forGuest?.(node.guest.id) ?? session.host);
  const base = {
    fleet: session.fleet,
    name: node.name,
    live,
    host: bindHost(host, {
      signal,
      step: step.address,
      onCommand,
      ...(session.options.verbose ? { onOutput: report } : {}),
    }),
    report,
    signal,
    // What the plan decided for this step, not the command's flags: --replace destroys only the guests planned.
    ...(step.redo && { redo: true }),
    flags: { replace: step.replace === true, wipeDisks: session.options.wipeDisks },
  };
  // The graph holds the step tables' entries, which are ExecutableSteps; the graph itself only needs StepSpec.
  switch (node.kind) {
    case 'lxc':
      return (node.spec as ExecutableStep<LxcGuest>).run({
        ...base,
        target: node.guest,
        liveGuest: live.guests.get(node.guest.id),
      });
    case 'vm':
      return (node.spec as ExecutableStep<VmGuest>).run({
        ...base,
        target: node.guest,
        liveGuest: live.guests.get(node.guest.id),
      });
    case 'host':
      return (node.spec as ExecutableStep<HostSetupStep>).run({ ...base, target: node.hostStep });
  }
}

/** A requested step: its commands in order, then its pause (the boot delay; cut short by Ctrl-C). */
async function executeRequested(
  session: Session,
  io: Output,
  step: PlannedStep,
  requested: NonNullable<PlannedStep['requested']>,
  { signal, onCommand }: Pick<StepWatch, 'signal' | 'onCommand'>,
): Promise<Result<void, StepFailure>> {
  // A test runner's report is the verb's output, on stdout; with --json the document is, and the report goes to
  // stderr.
  const stream = peopleOut(io, session.options.json);
  for (const argv of step.preview) {
    const result = await session.host.run(argv, {
      signal,
      step: step.address,
      onCommand,
      ...(requested.env && { env: requested.env }),
      ...(requested.streamOutput && { onOutput: (line: string) => stream(line) }),
    });
    if (!result.ok)
      return err({ address: step.address, message: result.error.message, command: result.error });
  }
  if (requested.delayMs > 0) await sleep(requested.delayMs, undefined, { signal }).catch(() => undefined);
  return ok(undefined);
}

/**
 * A build step that failed after it had once succeeded: its record stays (what it hashed, for `why`) but is marked
 * failed, so the step is stale until it succeeds again (a failed `run --force` must not leave it "up to date").
 */
async function recordFailure(session: Session, step: PlannedStep, failure: StepFailure): Promise<void> {
  if (step.requested) return;
  const record = session.cache.get(step.address);
  if (!record) return; // never succeeded: stale as "never ran" anyway
  await session.cache.set(step.address, {
    ...record,
    failed: { at: new Date().toISOString(), message: failure.message },
  });
}

/**
 * The one place the step cache changes after a step: a build step's record is written; a destroyed guest's
 * records are removed (its steps must all run again); starting, stopping and testing record nothing.
 */
async function recordSuccess(session: Session, step: PlannedStep, durationMs: number): Promise<void> {
  if (step.requested) {
    if (step.requested.action === 'destroy' && typeof step.target === 'number') {
      session.incarnations.delete(step.target);
      await session.cache.delete(stepsOf(session.graph, step.target));
    }
    return;
  }
  const node = session.graph.getNodeAttributes(step.address);
  let incarnation: string | undefined;
  if (node.kind !== 'host') {
    // Only `define` can change a guest's incarnation; re-read after it, reuse the known one otherwise.
    const known = session.incarnations.get(node.guest.id);
    incarnation =
      node.name === 'define' || known === undefined
        ? (await session.host.readGuestConfig(node.kind, node.guest.id))?.incarnation
        : known;
    if (incarnation !== undefined) session.incarnations.set(node.guest.id, incarnation);
  }
  // A clone records the incarnation of the source it was made from, as this run saw it.
  const source = step.source && targetOf(step.source.address);
  const sourceIncarnation =
    typeof source === 'number' ? (session.incarnations.get(source) ?? step.source?.incarnation) : undefined;
  await session.cache.set(
    step.address,
    recordFor(step, {
      at: new Date().toISOString(),
      durationMs,
      ...(incarnation !== undefined && { incarnation }),
      ...(sourceIncarnation !== undefined && { sourceIncarnation }),
    }),
  );
}
