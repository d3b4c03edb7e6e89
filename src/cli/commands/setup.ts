// `phoenix setup`: the hypervisor setup scripts (host:* steps) that are out of date, in configured order.
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../with-session.js';
import { buildGuests } from './build-common.js';
import { confirm } from '../confirm.js';

export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.options.wipeDisks && !ctx.options.dryRun) {
    const yes = await confirm(
      ctx,
      '--wipe-disks lets the ZFS step DESTROY the data on the disks it configures.',
    );
    if (!yes) return EXIT.usage;
  }
  return withSession(ctx, (session) => buildGuests(ctx, session, ['host']));
}
