// `phoenix LetsGo`: build every guest in dependency order, then start them all in boot order.
import { sortByBootOrder } from '../../app/targets.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../with-session.js';
import { buildGuests } from './build-common.js';
import { applyPower } from './power.js';

export async function run(ctx: CommandContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const all = [...fleet.guests.values()];
    const built = await buildGuests(
      ctx,
      session,
      all.map((g) => g.id),
    );
    if (built !== EXIT.ok || ctx.options.dryRun) return built;
    return applyPower(ctx, session, sortByBootOrder(fleet, all), 'start');
  });
}
