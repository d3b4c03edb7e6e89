// `phoenix setup`: the hypervisor setup scripts (host:* steps) that are out of date, in configured order;
// `--force` runs them all.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { buildGuests } from './build-common.js';
import { stepsOf } from '../../graph/query.js';

export async function run(ctx: VerbContext): Promise<number> {
  if (ctx.options.wipeDisks && !ctx.options.dryRun) {
    const yes = await ctx.confirm(
      '--wipe-disks lets the ZFS step DESTROY the data on the disks it configures.',
    );
    if (!yes) return EXIT.usage;
  }
  return withSession(ctx, async (session) => {
    // --force re-runs every setup script, as the bash orchestrator's `setup` always did.
    return buildGuests(ctx, session, ['host'], ctx.options.force ? stepsOf(session.graph, 'host') : []);
  });
}
