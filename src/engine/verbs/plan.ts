// `phoenix plan [ids...]`: the stale steps in order with reasons and exact commands; touches nothing.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withPlan } from './plan-common.js';
import { formatPlan, planToJson, typoNotes } from '../../reporters/plan.js';

export function run(ctx: VerbContext): Promise<number> {
  return withPlan(ctx, (planned, _session, fleet) => {
    if (ctx.options.json) ctx.io.out(JSON.stringify(planToJson(planned.plan), null, 2));
    else
      ctx.io.out(
        formatPlan(planned.plan, { color: ctx.io.color, diffNote: typoNotes(fleet.keyTypos ?? []) }),
      );
    // A plan the host cannot carry out (preflight problems) is a failure, whatever else it holds.
    if (planned.plan.problems) return EXIT.failed;
    const pending = planned.plan.steps.some((s) => s.status !== 'up-to-date');
    return pending && ctx.options.detailedExitcode ? EXIT.changesPending : EXIT.ok;
  });
}
