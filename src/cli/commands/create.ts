// `phoenix create <ids...>`: build guests and whatever they need, saying which extra guests that is.
import { prerequisites, resolveTargets } from '../../app/targets.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../with-session.js';
import { buildGuests } from './build-common.js';

export async function run(ctx: CommandContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const targets = resolveTargets(fleet, ctx.words);
    if (!targets.ok) {
      ctx.io.err(targets.error);
      return EXIT.failed;
    }
    const asked = new Set(targets.value.map((g) => g.id));
    for (const g of targets.value) {
      const extra = prerequisites(fleet, g.id).filter((id) => !asked.has(id));
      if (extra.length > 0) {
        const why = extra
          .map(
            (id) =>
              `${id} (${fleet.guests.get(g.id)?.cloneFrom === id ? 'clone source' : 'needed'} of ${g.id})`,
          )
          .join(', ');
        ctx.io.err(`${g.id} needs ${why}: building any of them that is not built yet.`);
      }
    }
    return buildGuests(
      ctx,
      session,
      targets.value.map((g) => g.id),
    );
  });
}
