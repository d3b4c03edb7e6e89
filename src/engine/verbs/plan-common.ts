// Plan the steps of the named guests (or all), for plan / why / status / adopt.
import type { Session } from '../session.js';
import type { Fleet } from '../../config/model.js';
import type { LiveState } from '../../host/live.js';
import type { Plan } from '../../plan/types.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { resolveAddresses } from '../addresses.js';
import { stepsOf } from '../../graph/query.js';
import { planFor } from '../plan.js';

export interface Planned {
  plan: Plan;
  live: LiveState;
  addresses: string[];
}

/** The frame of the read-only planning verbs: a session, the plan of the command's targets, then `work`. */
export function withPlan(
  ctx: VerbContext,
  work: (planned: Planned, session: Session, fleet: Fleet) => number | Promise<number>,
): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const planned = await planTargets(ctx, session, fleet);
    return typeof planned === 'number' ? planned : work(planned, session, fleet);
  });
}

export async function planTargets(
  ctx: VerbContext,
  session: Session,
  fleet: Fleet,
  words: string[] = ctx.words,
): Promise<Planned | number> {
  const all = words.length > 0 ? words : [...fleet.guests.keys()].map(String);
  const resolved = resolveAddresses(fleet, session.graph, all, stepsOf);
  if (!resolved.ok) {
    ctx.io.err(resolved.error);
    return EXIT.failed;
  }
  const planned = await planFor(session, { targets: resolved.value.addresses, force: [] });
  if (!planned.ok) {
    ctx.io.err(`Error: could not read the host state: ${planned.error}`);
    return EXIT.failed;
  }
  return { ...planned.value, addresses: resolved.value.addresses };
}
