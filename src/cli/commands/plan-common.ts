// Plan the steps of the named guests (or all), for plan / why / status / adopt.
import type { Session } from '../../app/session.js';
import type { Fleet } from '../../config/model.js';
import type { LiveState } from '../../host/live.js';
import type { Plan } from '../../plan/types.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { resolveAddresses } from './addresses.js';

export async function planTargets(
  ctx: CommandContext,
  session: Session,
  fleet: Fleet,
  words: string[] = ctx.words,
): Promise<{ plan: Plan; live: LiveState; addresses: string[] } | number> {
  const { stepsOf } = await import('../../graph/query.js');
  const { planFor } = await import('../../app/converge.js');
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
