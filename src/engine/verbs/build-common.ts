// Shared by the build verbs: converge a set of guests' steps and map the outcome to an exit code.
import type { Session } from '../session.js';
import type { VerbContext } from '../context.js';

export async function buildGuests(
  ctx: VerbContext,
  session: Session,
  ids: (number | 'host')[],
  force: string[] = [],
): Promise<number> {
  const { converge } = await import('../converge.js');
  const { stepsOf } = await import('../../graph/query.js');
  const targets = ids.flatMap((id) => stepsOf(session.graph, id));
  const outcome = await converge(session, ctx.io, { targets, force });
  return typeof outcome === 'number' ? outcome : outcome.exit;
}
