// `phoenix graph [ids...] --format mermaid|dot|json`: the step graph, each step marked with its status in the plan
// (out of date, blocked, up to date). Reads the host as `plan` does and changes nothing; when the host cannot be
// read the graph is printed unmarked, with a warning.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { resolveAddresses } from '../addresses.js';
import { planWith, readLiveFor } from '../plan.js';
import { stepsOf, closureFor } from '../../graph/query.js';
import { formatGraph, type StepStatuses } from '../../reporters/graph.js';

const FORMATS = ['mermaid', 'dot', 'json'] as const;

export async function run(ctx: VerbContext): Promise<number> {
  const format = ctx.options.format ?? (ctx.options.json ? 'json' : 'mermaid');
  if (!(FORMATS as readonly string[]).includes(format)) {
    ctx.io.err(`Error: --format must be one of ${FORMATS.join(', ')} (got '${format}')`);
    return EXIT.usage;
  }
  return withSession(ctx, async (session, fleet) => {
    const graph = session.graph;
    let only: string[] | undefined;
    if (ctx.words.length > 0) {
      const resolved = resolveAddresses(fleet, graph, ctx.words, stepsOf);
      if (!resolved.ok) {
        ctx.io.err(resolved.error);
        return EXIT.failed;
      }
      only = closureFor(graph, resolved.value.addresses);
    }
    const targets = only ?? graph.getAttribute('order');
    const live = await readLiveFor(session, targets);
    let statuses: StepStatuses | undefined;
    if (live.ok)
      statuses = new Map(planWith(session, live.value, { targets }).steps.map((s) => [s.address, s.status]));
    else ctx.io.err(`warning: could not read the host state (${live.error}): steps are not marked stale`);
    ctx.io.out(formatGraph(graph, format as (typeof FORMATS)[number], only, statuses));
    return EXIT.ok;
  });
}
