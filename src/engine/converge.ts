// Plan, then run: the Make loop. Reads the live state of exactly the guests the request covers, plans purely,
// prints the plan on --dry-run, else runs the stale steps with listr2 and records each success at once.
import type { Output } from '../reporters/output.js';
import { EXIT } from './exit-codes.js';
import type { LiveState } from '../host/live.js';
import type { Plan, PlannedStep } from '../plan/types.js';
import type { StepNode } from '../graph/types.js';
import type { ExecutableStep, StepFailure } from '../tasks/step.js';
import type { Guest, HostSetupStep, LxcGuest, VmGuest } from '../config/model.js';
import { recordFor } from '../plan/record.js';
import { err, ok, type Result } from '../result.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { stepsOf } from '../graph/query.js';
import type { Session } from './session.js';
import { ensureHypervisorJson } from '../config/hypervisor-file.js';
import { bindHost } from '../host/bind.js';

export interface ConvergeRequest {
  /** Step addresses or guest IDs (a guest ID means all of its steps). */
  targets: string[];
  /** Addresses to re-run even when up to date. */
  force?: string[];
}

export interface ConvergeOutcome {
  exit: number;
  plan: Plan;
  live: LiveState;
}

/** Guest IDs whose live state the plan needs: every guest owning a step in the request's closure. */
function guestsIn(session: Session, addresses: string[]): number[] {
  const ids = new Set<number>();
  for (const a of addresses) {
    const node = session.graph.getNodeAttributes(a);
    if (typeof node.target === 'number') ids.add(node.target);
  }
  return [...ids];
}

/** Read the live state of every guest owning a step in the request's closure (one listing per kind). */
export async function readLiveFor(session: Session, targets: string[]): Promise<Result<LiveState, string>> {
  const [{ closureFor }, { readLiveState }] = await Promise.all([
    import('../graph/query.js'),
    import('../host/read-live.js'),
  ]);
  const ids = guestsIn(session, closureFor(session.graph, targets));
  // Host setup steps check nothing live: `phoenix setup` lists no guests.
  const host = session.listings?.host ?? session.host;
  const live = await readLiveState(host, { ids, ...(ids.length === 0 && { kinds: [] }) });
  return live.ok ? { ok: true, value: live.value } : { ok: false, error: live.error.message };
}

/** Read the live state of some guests: only the listings of their kinds (`start 950` needs no `qm list`). */
export async function readLiveOf(
  session: Session,
  guests: readonly Guest[],
): Promise<Result<LiveState, string>> {
  const { readLiveState } = await import('../host/read-live.js');
  const kinds = [...new Set(guests.map((g) => g.kind))];
  const host = session.listings?.host ?? session.host;
  const live = await readLiveState(host, { ids: guests.map((g) => g.id), kinds });
  return live.ok ? ok(live.value) : err(live.error.message);
}

/** The planner's modules: a caller about to read the live state loads them meanwhile, not after the read. */
export const plannerModules = () =>
  Promise.all([import('../plan/planner.js'), import('../plan/script-hash.js')]);

/** The pure planning half: the plan of a request against a live state already read. */
export async function planWith(session: Session, live: LiveState, request: ConvergeRequest): Promise<Plan> {
  const [{ plan }, { createScriptHasher }] = await plannerModules();
  return plan({
    graph: session.graph,
    fleet: session.fleet,
    live,
    cache: session.options.cache ? session.cache.all() : new Map(),
    scriptHash: createScriptHasher(),
    request: {
      targets: request.targets,
      force: request.force ?? [],
      replace: session.options.replace,
      noCache: !session.options.cache,
    },
  });
}

export async function planFor(
  session: Session,
  request: ConvergeRequest,
): Promise<Result<{ plan: Plan; live: LiveState }, string>> {
  const [live] = await Promise.all([readLiveFor(session, request.targets), plannerModules()]);
  if (!live.ok) return live;
  return { ok: true, value: { plan: await planWith(session, live.value, request), live: live.value } };
}

/** Whether a plan has work: a stale or blocked step. */
export const hasWork = (plan: Plan): boolean => plan.steps.some((s) => s.status !== 'up-to-date');

/**
 * Plan (unless the caller already did), then run the stale steps. On --dry-run the plan is printed instead and
 * nothing is touched. A plan with no work runs nothing and spawns no process beyond the live reads.
 */
export async function converge(
  session: Session,
  io: Output,
  request: ConvergeRequest,
  planned?: { plan: Plan; live: LiveState },
): Promise<ConvergeOutcome | number> {
  if (!planned) {
    const read = await planFor(session, request);
    if (!read.ok) {
      io.err(`Error: could not read the host state: ${read.error}`);
      return EXIT.failed;
    }
    planned = read.value;
  }
  return { exit: await runWork(session, io, planned), ...planned };
}

/**
 * The one way work runs: print the plan on --dry-run (touching nothing), else run its stale steps — build steps
 * and power steps alike — with the one scheduler, record each success at once, and report. Returns the exit code.
 */
export async function runWork(
  session: Session,
  io: Output,
  { plan, live }: { plan: Plan; live: LiveState },
): Promise<number> {
  for (const [id, g] of live.guests)
    if (g.incarnation !== undefined) session.incarnations.set(id, g.incarnation);
  const work = plan.steps.filter((s) => s.status === 'stale').length;
  const pace = `${work} step${work === 1 ? '' : 's'}, up to ${session.options.concurrency} at a time`;
  if (session.options.dryRun) {
    const { formatPlan, planToJson } = await import('../reporters/plan.js');
    if (session.options.json) io.out(JSON.stringify(planToJson(plan), null, 2));
    else io.out(formatPlan(plan, { color: io.color }));
    if (!session.options.json) io.err(`Dry run: would run ${pace}; nothing was changed.`);
    return EXIT.ok;
  }
  if (work > 0) io.err(`Running ${pace}.`);
  // Host and feature scripts read the hypervisor settings from a file: written now, not when the config loads.
  if (plan.steps.some((s) => s.target === 'host' && s.status === 'stale'))
    await ensureHypervisorJson(session.fleet);
  const [{ runPlan }, { formatSummary }] = await Promise.all([
    import('../run/runner.js'),
    import('../reporters/run-summary.js'),
  ]);
  const summary = await runPlan(plan, {
    concurrency: session.options.concurrency,
    keepGoing: session.options.keepGoing,
    renderer: io.isTTY
      ? session.options.renderer
      : session.options.renderer === 'tree'
        ? 'lines'
        : session.options.renderer,
    output: io.stderr,
    logFile: session.logFile,
    groupTitle: (t) => targetTitle(session, t),
    // Critical-path priority by what each step cost last time.
    weight: (step) => session.cache.get(step.address)?.durationMs ?? 1000,
    execute: (step, signal, report) => executeStep(session, live, step, signal, report),
    onSuccess: async (step, durationMs) => {
      await recordSuccess(session, step, durationMs);
      if (step.power) io.out(`${step.target}: ${step.power.note}`);
    },
  });
  io.err(formatSummary(summary, { color: io.color }));
  const blocked = plan.steps.filter((s) => s.status === 'blocked');
  if (blocked.length > 0) {
    for (const b of blocked) io.err(`blocked: ${b.address}: ${b.blocked ?? ''}`);
  }
  return summary.interrupted
    ? EXIT.interrupted
    : summary.failed.length > 0 || blocked.length > 0
      ? EXIT.failed
      : EXIT.ok;
}

/** `950 (lxc, vllm-qwen)`, or `host`: a group's title in the run's tree. */
function targetTitle(session: Session, target: number | 'host'): string {
  if (target === 'host') return 'host (hypervisor setup)';
  const g = session.fleet.guests.get(target);
  return g ? `${target} (${g.kind}, ${g.config.name})` : String(target);
}

async function executeStep(
  session: Session,
  live: LiveState,
  step: PlannedStep,
  signal: AbortSignal,
  report: (line: string) => void,
): Promise<Result<void, StepFailure>> {
  if (step.power) return executePower(session, step, step.power.delayMs, signal);
  const node: StepNode = session.graph.getNodeAttributes(step.address);
  const base = {
    fleet: session.fleet,
    name: node.name,
    live,
    host: bindHost(session.host, { signal, ...(session.options.verbose ? { onOutput: report } : {}) }),
    report,
    pveRoot: session.target.pveRoot,
    flags: { replace: session.options.replace, wipeDisks: session.options.wipeDisks },
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

/** A power step: its commands in order, then the boot delay (cut short by Ctrl-C). */
async function executePower(
  session: Session,
  step: PlannedStep,
  delayMs: number,
  signal: AbortSignal,
): Promise<Result<void, StepFailure>> {
  for (const argv of step.preview) {
    const result = await session.host.run(argv, { signal });
    if (!result.ok)
      return err({ address: step.address, message: result.error.message, command: result.error });
  }
  if (delayMs > 0) await sleep(delayMs, undefined, { signal }).catch(() => undefined);
  return ok(undefined);
}

/**
 * The one place the step cache changes after a step: a build step's record is written; a destroyed guest's
 * records are removed (its steps must all run again); starting and stopping record nothing.
 */
async function recordSuccess(session: Session, step: PlannedStep, durationMs: number): Promise<void> {
  if (step.power) {
    if (step.power.action === 'destroy' && typeof step.target === 'number') {
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
  await session.cache.set(
    step.address,
    recordFor(step, {
      at: new Date().toISOString(),
      durationMs,
      ...(incarnation !== undefined && { incarnation }),
    }),
  );
}
