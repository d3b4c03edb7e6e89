// Shared by the build verbs: converge a set of guests' steps and map the outcome to an exit code.
import type { Session } from '../session.js';
import type { VerbContext } from '../context.js';
import { converge } from '../run-work.js';
import { stepsOf } from '../../graph/query.js';

export async function buildGuests(
  ctx: VerbContext,
  session: Session,
  ids: (number | 'host')[],
  force: string[] = [],
): Promise<number> {
  const targets = ids.flatMap((id) => stepsOf(session.graph, id));
  return converge(session, ctx, { targets, force });
}
