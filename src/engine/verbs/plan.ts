// `phoenix plan [ids...]`: the stale steps in order with reasons and exact commands; touches nothing.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withPlan } from './plan-common.js';
import { withSetupLeftOut } from '../plan.js';
import { formatPlan, planToJson, typoNotes } from '../../reporters/plan.js';

export function run(ctx: VerbContext): Promise<number> {
  return withPlan(ctx, (planned, session, fleet) => {
    // Host setup steps out of date are said, not left out silently (they are `phoenix setup`'s).
    const plan = withSetupLeftOut(session, planned.plan, planned.live);
    // On a cluster (--api) each command's lane (api or ssh) and why are shown under it.
    const laneOf = session.host.laneOf?.bind(session.host);
    const lane =
      laneOf &&
      ((argv: readonly string[], t: number | 'host') => laneOf([...argv], t === 'host' ? undefined : t));
    if (ctx.options.json) ctx.io.out(JSON.stringify(planToJson(plan), null, 2));
    else
      ctx.io.out(
        formatPlan(plan, {
          color: ctx.io.color,
          diffNote: typoNotes(fleet.keyTypos ?? []),
          ...(lane && { lane }),
        }),
      );
    // A plan the host cannot carry out (preflight problems) is a failure, whatever else it holds.
    if (plan.problems) return EXIT.failed;
    const pending = plan.steps.some((s) => s.status !== 'up-to-date');
    return pending && ctx.options.detailedExitcode ? EXIT.changesPending : EXIT.ok;
  });
}
