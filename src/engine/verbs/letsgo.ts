// `phoenix LetsGo`: build every guest in dependency order, then start them all in boot order — one plan, run by
// the one scheduler. A guest that is fully built and merely stopped is left to the start phase, so it starts in
// boot order rather than whenever the build reaches it. A no-op LetsGo on the node starts no process (the live read
// uses the node's files, src/host/node-files.ts); elsewhere it costs one `pct list` and one `qm list`.
import { sortByBootOrder } from '../../graph/guests.js';
import { stepsOf } from '../../graph/query.js';
import type { Plan } from '../../plan/types.js';
import type { VerbContext } from '../context.js';
import { movedLines, setupNote } from '../../reporters/plan.js';
import { planWith, readLiveFor, withPreflight, withSetupLeftOut } from '../plan.js';
import { reportNoWork, runWork } from '../run-work.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { powerPlan } from '../requests.js';

/** Guests whose only pending step is `start`, stale only because the guest is stopped. */
export function onlyStopped(plan: Plan): Set<number> {
  const pending = new Map<number, boolean>();
  for (const s of plan.steps) {
    if (s.status === 'up-to-date' || s.target === 'host') continue;
    const stoppedOnly = s.name === 'start' && s.reasons.every((r) => r.type === 'drift');
    pending.set(s.target, (pending.get(s.target) ?? true) && stoppedOnly);
  }
  return new Set([...pending].filter(([, only]) => only).map(([id]) => id));
}

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const everything = [...fleet.guests.keys()].flatMap((id) => stepsOf(session.graph, id));
    const live = await readLiveFor(session, everything);
    if (!live.ok) {
      ctx.io.err(`Error: could not read the host state: ${live.error}`);
      return EXIT.failed;
    }
    const full = planWith(session, live.value, { targets: everything });
    const leave = onlyStopped(full);
    // Their start steps wait for the start phase; nothing else of theirs is pending.
    const build = full.steps.filter((s) => !(leave.has(s.target as number) && s.status === 'stale'));
    const buildWork = build.filter((s) => s.status !== 'up-to-date');
    const starts = powerPlan(
      [
        {
          action: 'start',
          guests: sortByBootOrder(
            fleet,
            [...leave].map((id) => fleet.guests.get(id)!),
          ),
        },
      ],
      live.value,
      { force: false, after: buildWork.map((s) => s.address) },
    );
    if (!starts.ok) {
      ctx.io.err(starts.error);
      return EXIT.failed;
    }
    // LetsGo builds guests; the host setup steps are `phoenix setup`'s, said here when they are out of date.
    const planned = withSetupLeftOut(
      session,
      { steps: [...build, ...starts.value.steps], ...(full.moved && { moved: full.moved }) },
      live.value,
    );
    // Under --quiet this is said only when it is the final line (nothing to start either).
    const quiet = ctx.options.renderer === 'quiet';
    if (buildWork.length === 0 && !(quiet && starts.value.steps.length > 0))
      ctx.io.err(`Nothing to build: all ${build.length} steps are up to date.`);
    if (!ctx.options.dryRun && buildWork.length === 0 && starts.value.steps.length === 0) {
      const setup = setupNote(planned);
      if (setup !== undefined && !quiet) ctx.io.err(setup);
      if (!quiet) for (const line of movedLines(planned, ctx.io.color)) ctx.io.err(line);
      reportNoWork(session, ctx.io, planned);
      return EXIT.ok;
    }
    const plan = await withPreflight(session, planned, live.value);
    if (!plan.ok) {
      ctx.io.err(`Error: could not read the host state: ${plan.error}`);
      return EXIT.failed;
    }
    return runWork(session, ctx, { plan: plan.value, live: live.value });
  });
}
