// `phoenix start|stop|restart <ids...>`: start in ascending boot_order (ties: dependency order, then ID), stop in
// the reverse; each guest checked first (already running / stopped is a no-op, a template is never started).
import { decide, type PowerAction } from '../power.js';
import type { Session } from '../session.js';
import { resolveTargets, sortByBootOrder } from '../targets.js';
import type { Guest } from '../../config/model.js';
import type { LiveState } from '../../host/live.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const targets = resolveTargets(fleet, ctx.words);
    if (!targets.ok) {
      ctx.io.err(targets.error);
      return EXIT.failed;
    }
    const up = sortByBootOrder(fleet, targets.value);
    const down = [...up].reverse();
    if (ctx.verb.name === 'start') return applyPower(ctx, session, up, 'start');
    if (ctx.verb.name === 'stop') return applyPower(ctx, session, down, 'stop');
    const stopped = await applyPower(ctx, session, down, 'stop');
    return stopped === EXIT.ok ? applyPower(ctx, session, up, 'start') : stopped;
  });
}

/**
 * Apply one power action to guests in the given order (reading their live state unless the caller passes a
 * fresh one); stops at the first failure (fail-fast, as the plan asks).
 */
export async function applyPower(
  ctx: VerbContext,
  session: Session,
  ordered: Guest[],
  action: PowerAction,
  known?: LiveState,
): Promise<number> {
  const { formatArgv } = await import('../../run/log.js');
  let live = known;
  if (!live) {
    const { readLiveState } = await import('../../host/read-live.js');
    // Only the listings of the kinds involved: `start 950` needs no `qm list`.
    const kinds = [...new Set(ordered.map((g) => g.kind))];
    const read = await readLiveState(session.host, { ids: ordered.map((g) => g.id), kinds });
    if (!read.ok) {
      ctx.io.err(`Error: could not read the host state: ${read.error.message}`);
      return EXIT.failed;
    }
    live = read.value;
  }
  for (const guest of ordered) {
    const decision = decide(guest, action, live.guests.get(guest.id));
    if (decision.do === 'fail') {
      ctx.io.err(`Error: ${decision.note}`);
      return EXIT.failed;
    }
    if (decision.do === 'skip') {
      ctx.io.out(`${guest.id}: ${decision.note}`);
      continue;
    }
    for (const argv of decision.argv) {
      if (ctx.options.dryRun) {
        ctx.io.out(`would run: ${formatArgv(argv)}`);
        continue;
      }
      const result = await session.host.run(argv);
      if (!result.ok) {
        ctx.io.err(`Error: ${guest.id}: ${result.error.message}`);
        return EXIT.failed;
      }
    }
    if (ctx.options.dryRun) continue;
    ctx.io.out(`${guest.id}: ${decision.note}`);
    if (action === 'destroy') {
      const { stepsOf } = await import('../../graph/query.js');
      await session.cache.delete(stepsOf(session.graph, guest.id));
    }
    const delay = guest.config.boot_delay;
    if (action === 'start' && delay > 0 && guest !== ordered.at(-1)) {
      await new Promise((r) => setTimeout(r, delay * 1000));
    }
  }
  return EXIT.ok;
}
