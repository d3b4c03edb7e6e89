// Load the fleet for a command, printing warnings; an invalid config is exit 2 with every problem listed.
import type { Fleet } from '../config/model.js';
import type { VerbContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadFleet } from '../config/load.js';
import { formatProblems } from '../config/problems.js';

export type Loaded = { ok: true; fleet: Fleet; warnings: number } | { ok: false; exit: number };

export async function loadConfigFor(ctx: VerbContext): Promise<Loaded> {
  const result = await loadFleet({
    config: ctx.options.config,
    cwd: ctx.cwd,
    env: ctx.env,
    // A warm run takes the validated fleet from the cache beside the config and skips validation.
    cacheFleet: true,
  });
  if (!result.ok) {
    ctx.io.err(formatProblems(result.problems));
    const errors = result.problems.filter((p) => p.severity === 'error').length;
    ctx.io.err(`Error: the config has ${errors} error${errors === 1 ? '' : 's'}; nothing was changed.`);
    return { ok: false, exit: EXIT.usage };
  }
  if (result.warnings.length > 0 && !ctx.options.json) ctx.io.err(formatProblems(result.warnings));
  return { ok: true, fleet: result.fleet, warnings: result.warnings.length };
}
