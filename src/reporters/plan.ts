// A plan for people (text) and machines (JSON): the work in order, why, and the exact commands it would run.
import pc from 'picocolors';
import { formatArgv } from '../host/argv.js';
import { reasonLines } from '../plan/describe.js';
import type { MovedGuest, Plan, PlannedStep, StaleReason } from '../plan/types.js';
import { describePending } from '../tasks/pending.js';
import type { KeyTypo } from '../config/model.js';
import type { Diff } from '../tasks/step.js';

export interface PlanFormatOptions {
  color?: boolean;
  /** List up-to-date steps too (default: only the work). */
  all?: boolean;
  /** A remark on a step's changed input (see typoNotes). */
  diffNote?: (step: PlannedStep, d: Diff) => string | undefined;
  /** On a cluster: the lane each command takes (api or ssh) and why, shown under it. */
  lane?: (argv: readonly string[], target: number | 'host') => string | undefined;
}

/** Notes for inputs that changed only because a mistyped key left the setting at its default. */
export function typoNotes(typos: readonly KeyTypo[]): PlanFormatOptions['diffNote'] {
  if (typos.length === 0) return undefined;
  return (step, d) => {
    const t = typos.find((x) => x.guest === step.target && x.field === d.field);
    return (
      t && `the config says '${t.key}', not '${t.field.split('.').at(-1)}': a typo? (it took its default)`
    );
  };
}

export interface PlanSummary {
  run: number;
  blocked: number;
  upToDate: number;
}

export function summarize(plan: Plan): PlanSummary {
  const count = (s: PlannedStep['status']): number => plan.steps.filter((x) => x.status === s).length;
  return { run: count('stale'), blocked: count('blocked'), upToDate: count('up-to-date') };
}

/** `3 to run, 1 blocked, 42 up to date` */
export function summaryLine(plan: Plan): string {
  const s = summarize(plan);
  return `${s.run} to run, ${s.blocked} blocked, ${s.upToDate} up to date`;
}

export function formatPlan(plan: Plan, options: PlanFormatOptions = {}): string {
  const c = pc.createColors(options.color ?? false);
  const shown = plan.steps.filter((s) => options.all === true || s.status !== 'up-to-date');
  const lines: string[] = [];
  for (const step of shown) {
    lines.push(...formatStep(step, c, options));
  }
  lines.push(...pendingLines(plan, c));
  lines.push(...movedLines(plan, options.color));
  lines.push(...(plan.problems ?? []).map((p) => `${c.red('missing')} ${p}`));
  const setup = setupNote(plan);
  if (setup !== undefined) lines.push(c.yellow(setup));
  if (lines.length > 0) lines.push('');
  lines.push(c.bold(summaryLine(plan)));
  return lines.join('\n');
}

/** The host setup steps a plan of guests leaves out, and how to run them; undefined when there are none. */
export function setupNote(plan: Plan): string | undefined {
  const left = plan.setupLeftOut ?? [];
  if (left.length === 0) return undefined;
  const [steps, them] = left.length === 1 ? ['host setup step is', 'it'] : ['host setup steps are', 'them'];
  return `setup   ${left.length} ${steps} out of date and not part of this plan: ${left.join(', ')} ('phoenix setup' runs ${them}; 'phoenix plan host' shows why)`;
}

/**
 * Guests found on another node than the config or an earlier placement says: said, never acted on. Phoenix does
 * not migrate a guest implicitly (a migration stops a container and copies its disks); the fix is the user's.
 */
export function movedLines(plan: Plan, color = false): string[] {
  const c = pc.createColors(color);
  return (plan.moved ?? []).map((m) => `${c.cyan('moved')}   ${c.bold(String(m.id))}: ${movedText(m)}`);
}

export function movedText(m: MovedGuest): string {
  const where = `on ${m.to}, not on ${m.from}`;
  if (!m.configured)
    return `${where} where an earlier run placed it (HA or a migration); worked on where it is, and a run records ${m.to} as its place`;
  const migrate =
    m.kind === 'lxc'
      ? `pct migrate ${m.id} ${m.from} --restart`
      : `qm migrate ${m.id} ${m.from} (--online if it runs)`;
  return (
    `${where} as its config's node key says (HA or a migration); worked on where it is, not moved back: ` +
    `'${migrate}' on ${m.to} moves it, or set its node key to ${m.to}`
  );
}

/** Settings already set that wait for the guest's next start (Proxmox's pending section). */
export function pendingLines(plan: Plan, c: Colors = pc.createColors(false)): string[] {
  return plan.steps
    .filter((s) => s.pendingRestart !== undefined && s.target !== 'host')
    .map(
      (s) =>
        `${c.cyan('pending')} ${c.bold(s.address)}: until ${String(s.target)} restarts: ` +
        `${describePending(s.pendingRestart ?? [])} ('phoenix restart ${String(s.target)}' applies it)`,
    );
}

type Colors = ReturnType<typeof pc.createColors>;

function formatStep(step: PlannedStep, c: Colors, options: PlanFormatOptions): string[] {
  const { diffNote, lane } = options;
  const head =
    step.status === 'blocked'
      ? `${c.red('blocked')} ${c.bold(step.address)}: ${step.blocked ?? ''}`
      : step.status === 'stale'
        ? `${c.yellow('run')}     ${c.bold(step.address)}${effect(step, c)}`
        : `${c.green('ok')}      ${step.address}`;
  const note = diffNote && ((d: Diff) => diffNote(step, d));
  const reasons = step.reasons.flatMap((r) => reasonLines(r, note)).map((l) => `          ${c.dim(l)}`);
  const commands =
    step.status === 'up-to-date'
      ? []
      : step.preview.flatMap((a) => {
          const via = lane?.(a, step.target);
          return [
            `          $ ${formatArgv(a)}`,
            ...(via === undefined ? [] : [`            ${c.dim(`via ${via}`)}`]),
          ];
        });
  const warning = step.warning === undefined ? [] : [`          ${c.red(`warning: ${step.warning}`)}`];
  return [head, ...warning, ...reasons, ...commands];
}

/** What a step does beyond the usual, in words: destroying its guest, re-taking a snapshot. */
function effect(step: PlannedStep, c: Colors): string {
  if (step.replace) return c.red(` (destroys ${step.target} and its disks, then builds it again)`);
  if (step.retake !== undefined)
    return c.yellow(
      ` (re-takes snapshot ${step.retake}: deletes it and takes it again, so new clones get this build)`,
    );
  return '';
}

export interface PlanJson {
  /** True when any step would run or is blocked (the `--detailed-exitcode` condition). */
  pending: boolean;
  summary: PlanSummary;
  /** What the host lacks for the work (a missing OS template, a storage content type): the plan cannot run. */
  problems: string[];
  /** Host setup steps out of date that this plan leaves out: `phoenix setup` runs them. */
  setupLeftOut: string[];
  /** Guests on another node than the config or an earlier placement says (HA, a migration): worked on there. */
  moved: MovedGuest[];
  steps: {
    address: string;
    target: number | 'host';
    name: string;
    status: PlannedStep['status'];
    reasons: StaleReason[];
    blocked?: string;
    replace?: boolean;
    /** The snapshot a snapshot step deletes and takes again. */
    retake?: string;
    /** A danger of running the step (a firewall that may cut the user off the host). */
    warning?: string;
    after: string[];
    /** Host locks the step holds while it runs (the runner never runs two holders of one lock at once). */
    locks?: string[];
    /** Commands as argv arrays. */
    commands: string[][];
    /** Settings that have their configured value pending until the guest restarts. */
    pendingRestart?: PlannedStep['pendingRestart'];
  }[];
}

/** Every step of the plan, up-to-date ones included, in order. */
export function planToJson(plan: Plan): PlanJson {
  const summary = summarize(plan);
  return {
    pending: summary.run + summary.blocked > 0,
    summary,
    problems: plan.problems ?? [],
    setupLeftOut: plan.setupLeftOut ?? [],
    moved: plan.moved ?? [],
    steps: plan.steps.map((s) => ({
      address: s.address,
      target: s.target,
      name: s.name,
      status: s.status,
      reasons: s.reasons,
      ...(s.blocked !== undefined && { blocked: s.blocked }),
      ...(s.replace && { replace: true }),
      ...(s.retake !== undefined && { retake: s.retake }),
      ...(s.warning !== undefined && { warning: s.warning }),
      after: s.after,
      ...(s.locks && { locks: s.locks }),
      commands: s.preview.map((a) => [...a]),
      ...(s.pendingRestart && { pendingRestart: s.pendingRestart }),
    })),
  };
}
