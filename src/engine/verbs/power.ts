// `phoenix start|stop|restart <ids...>`: start in ascending boot_order (ties: dependency order, then ID), stop in
// the reverse, restart both; each guest is checked first (already running / stopped needs nothing, a template is
// never started). One plan of power steps, run by the scheduler like any other.
import { sortByBootOrder } from '../../graph/guests.js';
import type { VerbContext } from '../context.js';
import { readLiveOf } from '../plan.js';
import { reportNoWork, runWork } from '../run-work.js';
import { peopleOut } from '../../reporters/output.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import type { Session } from '../session.js';
import { powerPlan, type PowerPhase } from '../requests.js';
import { resolveTargets } from '../targets.js';

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const targets = resolveTargets(fleet, ctx.words);
    if (!targets.ok) {
      ctx.io.err(targets.error);
      return EXIT.failed;
    }
    const up = sortByBootOrder(fleet, targets.value);
    const down = [...up].reverse();
    const phases: PowerPhase[] =
      ctx.verb.name === 'start'
        ? [{ action: 'start', guests: up }]
        : ctx.verb.name === 'stop'
          ? [{ action: 'stop', guests: down }]
          : [
              { action: 'stop', guests: down },
              { action: 'start', guests: up },
            ];
    return runPower(session, ctx, phases, { force: ctx.options.force });
  });
}

/** Read the guests' live state, plan the phases' power steps, say what needs nothing, and run the rest. */
export async function runPower(
  session: Session,
  ctx: VerbContext,
  phases: PowerPhase[],
  opts: { force: boolean },
): Promise<number> {
  const live = await readLiveOf(session, [...new Set(phases.flatMap((p) => p.guests))]);
  if (!live.ok) {
    ctx.io.err(`Error: could not read the host state: ${live.error}`);
    return EXIT.failed;
  }
  const planned = powerPlan(phases, live.value, opts);
  if (!planned.ok) {
    ctx.io.err(planned.error);
    return EXIT.failed;
  }
  // Notes for people (`950 is already running`); with --json the document is the output and they go to stderr.
  for (const note of planned.value.notes) peopleOut(ctx.io, ctx.options.json)(note);
  if (planned.value.steps.length === 0) {
    reportNoWork(session, ctx.io, { steps: [] });
    return EXIT.ok;
  }
  return runWork(session, ctx, { plan: { steps: planned.value.steps }, live: live.value });
}
