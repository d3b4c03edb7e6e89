// `phoenix run <id:step...>`: those steps and whatever stale steps they need (Make semantics);
// --force re-runs the named steps even when up to date.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { resolveAddresses } from '../addresses.js';

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const { stepsOf } = await import('../../graph/query.js');
    const resolved = resolveAddresses(fleet, session.graph, ctx.words, stepsOf);
    if (!resolved.ok) {
      ctx.io.err(resolved.error);
      return EXIT.failed;
    }
    const { converge } = await import('../converge.js');
    const { addresses, named } = resolved.value;
    const outcome = await converge(session, ctx.io, {
      targets: addresses,
      force: ctx.options.force ? (named.length > 0 ? named : addresses) : [],
    });
    return typeof outcome === 'number' ? outcome : outcome.exit;
  });
}
