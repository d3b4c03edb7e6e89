// `phoenix adopt [ids...]`: record as done every step of existing guests whose live check passes, running no
// script, so a host built by the bash orchestrator does not re-run features or application scripts.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withPlan } from './plan-common.js';
import { adopt } from '../../plan/adopt.js';

export async function run(ctx: VerbContext): Promise<number> {
  return withPlan(ctx, async (planned, session, fleet) => {
    const records = adopt({ plan: planned.plan, graph: session.graph, fleet, live: planned.live });
    for (const [address, record] of records) {
      if (ctx.options.dryRun && !ctx.options.json) ctx.io.out(`would adopt ${address}`);
      else if (!ctx.options.dryRun) await session.cache.set(address, record);
    }
    const skipped = planned.plan.steps.length - records.size;
    if (ctx.options.json) {
      const left = planned.plan.steps.filter((s) => !records.has(s.address)).map((s) => s.address);
      ctx.io.out(JSON.stringify({ dryRun: ctx.options.dryRun, adopted: [...records.keys()], left }, null, 2));
      return EXIT.ok;
    }
    ctx.io.out(
      `${ctx.options.dryRun ? 'Would adopt' : 'Adopted'} ${records.size} step${records.size === 1 ? '' : 's'}; ` +
        `${skipped} left to run (missing or drifted: see 'phoenix plan').`,
    );
    return EXIT.ok;
  });
}
