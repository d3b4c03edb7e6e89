// `phoenix why <id|id:step>`: every step of the guest (or the one step), up to date or stale, and why.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withPlan } from './plan-common.js';
import { formatWhy, whyToJson } from '../../reporters/why.js';

export function run(ctx: VerbContext): Promise<number> {
  return withPlan(ctx, (planned) => {
    const only = new Set(planned.addresses);
    const steps = planned.plan.steps.filter((s) => only.has(s.address));
    const moved = planned.plan.moved ?? [];
    if (ctx.options.json) ctx.io.out(JSON.stringify(whyToJson(steps, moved), null, 2));
    else ctx.io.out(formatWhy(steps, { color: ctx.io.color, moved }));
    return EXIT.ok;
  });
}
