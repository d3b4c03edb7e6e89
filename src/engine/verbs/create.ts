// `phoenix create <ids...>`: build guests and whatever they need, saying which extra guests that is: only the
// clone ancestors and dependencies that actually have steps to run.
import { prerequisites } from '../../graph/guests.js';
import { resolveTargets } from '../targets.js';
import type { Fleet } from '../../config/model.js';
import type { Plan } from '../../plan/types.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { converge, reportNoWork } from '../run-work.js';
import { peopleOut } from '../../reporters/output.js';
import { planFor } from '../plan.js';
import { stepsOf } from '../../graph/query.js';

/** How `extra` relates to the asked guest `id`: a clone ancestor, or a dependency (of it or of an ancestor). */
function relation(fleet: Fleet, id: number, extra: number): 'clone ancestor' | 'dependency' {
  for (let g = fleet.guests.get(id); g?.cloneFrom !== undefined; g = fleet.guests.get(g.cloneFrom)) {
    if (g.cloneFrom === extra) return 'clone ancestor';
  }
  return 'dependency';
}

/** `901, 920 (clone ancestors of 950) and 953 (dependency of 950)`, or undefined when nothing extra is built. */
export function extraGuestsNote(fleet: Fleet, asked: number[], plan: Plan): string | undefined {
  const pending = new Set(plan.steps.filter((s) => s.status !== 'up-to-date').map((s) => s.target));
  const groups = new Map<string, number[]>();
  const seen = new Set<number>(asked);
  for (const id of asked) {
    for (const extra of prerequisites(fleet, id).sort((a, b) => a - b)) {
      if (seen.has(extra) || !pending.has(extra)) continue;
      seen.add(extra);
      const rel = relation(fleet, id, extra);
      const key = `${rel}|${id}`;
      groups.set(key, [...(groups.get(key) ?? []), extra]);
    }
  }
  if (groups.size === 0) return undefined;
  const parts = [...groups].map(([key, ids]) => {
    const [rel, of] = key.split('|');
    return `${ids.join(', ')} (${rel}${ids.length > 1 ? 's' : ''} of ${of})`;
  });
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  return `Also building ${list}: not built yet or out of date.`;
}

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(ctx, async (session, fleet) => {
    const targets = resolveTargets(fleet, ctx.words);
    if (!targets.ok) {
      ctx.io.err(targets.error);
      return EXIT.failed;
    }
    const ids = targets.value.map((g) => g.id);
    const request = { targets: ids.flatMap((id) => stepsOf(session.graph, id)) };
    const planned = await planFor(session, request);
    if (!planned.ok) {
      ctx.io.err(`Error: could not read the host state: ${planned.error}`);
      return EXIT.failed;
    }
    const { plan } = planned.value;
    const note = extraGuestsNote(fleet, ids, plan);
    if (note) ctx.io.err(note);
    for (const id of ids) {
      const own = plan.steps.filter((s) => s.target === id);
      if (own.every((s) => s.status === 'up-to-date')) {
        const g = fleet.guests.get(id);
        // A result for people; with --json the document says it, and this goes with the progress.
        peopleOut(
          ctx.io,
          ctx.options.json,
        )(
          `${id} (${g?.kind ?? ''}, ${g?.config.name ?? ''}) already exists in the desired state: ` +
            `all ${own.length} steps up to date.`,
        );
      }
    }
    if (!plan.steps.some((s) => s.status !== 'up-to-date') && !ctx.options.dryRun) {
      reportNoWork(session, ctx.io, plan);
      return EXIT.ok;
    }
    return converge(session, ctx, request, planned.value);
  });
}
