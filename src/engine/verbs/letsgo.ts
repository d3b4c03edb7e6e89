// `phoenix LetsGo`: build every guest in dependency order, then start them all in boot order.
// A guest that is fully built and merely stopped is left to the start phase, so it starts in boot order rather
// than whenever the build reaches it. When the build has nothing to do, its live read serves the start phase
// too: a no-op LetsGo costs one `pct list` and one `qm list`.
import { sortByBootOrder } from '../targets.js';
import type { Plan } from '../../plan/types.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { applyPower } from './power.js';

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
  return withSession(
    ctx,
    async (session, fleet) => {
      const [{ readLiveFor, planWith, converge, plannerModules }, { stepsOf, targetOf }] = await Promise.all([
        import('../converge.js'),
        import('../../graph/query.js'),
      ]);
      const all = [...fleet.guests.values()];
      const everything = all.flatMap((g) => stepsOf(session.graph, g.id));
      const [live] = await Promise.all([readLiveFor(session, everything), plannerModules()]);
      if (!live.ok) {
        ctx.io.err(`Error: could not read the host state: ${live.error}`);
        return EXIT.failed;
      }
      const full = await planWith(session, live.value, { targets: everything });
      const leave = onlyStopped(full);
      const build = everything.filter((a) => !leave.has(targetOf(a) as number));
      const plan =
        leave.size === 0
          ? full
          : build.length > 0
            ? await planWith(session, live.value, { targets: build })
            : { steps: [] };
      const work = plan.steps.some((s) => s.status !== 'up-to-date');
      if (work || ctx.options.dryRun) {
        const outcome = await converge(session, ctx.io, { targets: build }, { plan, live: live.value });
        const exit = typeof outcome === 'number' ? outcome : outcome.exit;
        if (exit !== EXIT.ok) return exit;
      } else {
        ctx.io.err(`Nothing to build: all ${full.steps.length - leave.size} steps are up to date.`);
      }
      const order = sortByBootOrder(fleet, all);
      if (ctx.options.dryRun && work) {
        ctx.io.out(`then start in boot order: ${order.map((g) => g.id).join(', ')}`);
        return EXIT.ok;
      }
      // Nothing ran: the state read for the plan is still the host's state.
      return applyPower(ctx, session, order, 'start', work ? undefined : live.value);
    },
    { readsLive: true },
  );
}
