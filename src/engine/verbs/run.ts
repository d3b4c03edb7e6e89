// `phoenix run <id:step...>`: those steps and whatever stale steps they need (Make semantics);
// --force re-runs the named steps even when up to date.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { resolveAddresses } from '../addresses.js';
import { stepsOf } from '../../graph/query.js';
import { converge } from '../run-work.js';

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const resolved = resolveAddresses(fleet, session.graph, ctx.words, stepsOf);
    if (!resolved.ok) {
      ctx.io.err(resolved.error);
      return EXIT.failed;
    }
    const { addresses, named } = resolved.value;
    return converge(session, ctx, {
      targets: addresses,
      force: ctx.options.force ? (named.length > 0 ? named : addresses) : [],
    });
  });
}
