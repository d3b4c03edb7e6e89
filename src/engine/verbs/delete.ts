// `phoenix delete <ids...>`: stop and destroy guests, dependents first. Never implicit: asks on a TTY, needs --yes
// otherwise; refuses to strand clones of a template unless --cascade; an ID not in the config is never touched.
import { cloneDescendants, sortByDependencies } from '../../graph/guests.js';
import type { PreparedSession } from '../session.js';
import type { Fleet, Guest } from '../../config/model.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { runPower } from './power.js';
import { resolveTargets } from '../targets.js';

export async function run(ctx: VerbContext): Promise<number> {
  let doomed: Guest[] = [];
  // Refusals and the question come before the run lock: nobody waits while a prompt is open.
  const before = async (_session: PreparedSession, fleet: Fleet): Promise<number | undefined> => {
    const targets = resolveTargets(fleet, ctx.words);
    if (!targets.ok) {
      ctx.io.err(targets.error);
      return EXIT.failed;
    }
    const asked = new Set(targets.value.map((g) => g.id));
    const extra = new Set<number>();
    for (const g of targets.value) {
      const stranded = cloneDescendants(fleet, g.id).filter((id) => !asked.has(id));
      if (stranded.length === 0) continue;
      if (!ctx.options.cascade) {
        ctx.io.err(
          `Error: ${g.id} is the clone source of ${stranded.join(', ')} (configured guests cloned from it).\n` +
            `Delete those first, or pass --cascade to delete them too. Nothing was changed.`,
        );
        return EXIT.failed;
      }
      for (const id of stranded) extra.add(id);
    }
    doomed = sortByDependencies(fleet, [
      ...targets.value,
      ...[...extra].map((id) => fleet.guests.get(id)).filter((g) => g !== undefined),
    ]).reverse();
    if (ctx.options.dryRun) return undefined;
    const list = doomed.map((g) => `${g.id} (${g.config.name})`).join(', ');
    return (await ctx.confirm(`This stops and destroys ${list} and their disks.`)) ? undefined : EXIT.usage;
  };
  return withSession(
    ctx,
    (session) => runPower(session, ctx, [{ action: 'destroy', guests: doomed }], { force: true }),
    { before },
  );
}
