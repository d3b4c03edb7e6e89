// `phoenix reconfigure <ids...>`: re-apply configuration and features (forced), as the lxc-manager verb did.
import { resolveTargets } from '../targets.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { buildGuests } from './build-common.js';
import { stepsOf } from '../../graph/query.js';

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const targets = resolveTargets(fleet, ctx.words);
    if (!targets.ok) {
      ctx.io.err(targets.error);
      return EXIT.failed;
    }
    const ids = targets.value.map((g) => g.id);
    const force = ids
      .flatMap((id) => stepsOf(session.graph, id))
      .filter((a) => /:(configure|feature:.+)$/.test(a));
    return buildGuests(ctx, session, ids, force);
  });
}
