// `phoenix graph [ids...] --format mermaid|dot|json`: the step graph (no host access).
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { loadConfigFor } from '../load-config.js';
import { resolveAddresses } from '../addresses.js';
import { buildStepGraph } from '../../graph/build.js';
import { stepTables } from '../../tasks/index.js';
import { stepsOf, closureFor } from '../../graph/query.js';
import { formatGraph } from '../../reporters/graph.js';

const FORMATS = ['mermaid', 'dot', 'json'] as const;

export async function run(ctx: VerbContext): Promise<number> {
  const format = ctx.options.format ?? (ctx.options.json ? 'json' : 'mermaid');
  if (!(FORMATS as readonly string[]).includes(format)) {
    ctx.io.err(`Error: --format must be one of ${FORMATS.join(', ')} (got '${format}')`);
    return EXIT.usage;
  }
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.error;
  const graph = buildStepGraph(loaded.value.fleet, stepTables);
  if (!graph.ok) {
    ctx.io.err(`Error: ${graph.error.message}`);
    return EXIT.usage;
  }
  let only: string[] | undefined;
  if (ctx.words.length > 0) {
    const resolved = resolveAddresses(loaded.value.fleet, graph.value, ctx.words, stepsOf);
    if (!resolved.ok) {
      ctx.io.err(resolved.error);
      return EXIT.failed;
    }
    only = closureFor(graph.value, resolved.value.addresses);
  }
  ctx.io.out(formatGraph(graph.value, format as (typeof FORMATS)[number], only));
  return EXIT.ok;
}
