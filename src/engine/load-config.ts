// Load the fleet for a command, printing warnings; an invalid config is exit 2 with every problem listed.
import { type Result, err, ok } from '../result.js';
import type { Fleet, Problem } from '../config/model.js';
import type { VerbContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadFleet } from '../config/load.js';
import { formatProblems } from '../config/problems.js';

/** The fleet and its number of warnings, or the exit code after the problems were printed. */
export type Loaded = Result<{ fleet: Fleet; warnings: number }, number>;

export async function loadConfigFor(
  ctx: VerbContext,
  opts: {
    /** Also called with every problem of an invalid config (validate --json prints them as its document). */
    onInvalid?: (problems: Problem[]) => void;
  } = {},
): Promise<Loaded> {
  const result = await loadFleet({
    config: ctx.options.config,
    cwd: ctx.cwd,
    env: ctx.env,
    // A warm run takes the validated fleet from the cache beside the config and skips validation.
    cacheFleet: true,
  });
  if (!result.ok) {
    ctx.io.err(formatProblems(result.error));
    opts.onInvalid?.(result.error);
    const errors = result.error.filter((p) => p.severity === 'error').length;
    ctx.io.err(`Error: the config has ${errors} error${errors === 1 ? '' : 's'}; nothing was changed.`);
    return err(EXIT.usage);
  }
  if (result.value.warnings.length > 0 && !ctx.options.json)
    ctx.io.err(formatProblems(result.value.warnings));
  return ok({ fleet: result.value.fleet, warnings: result.value.warnings.length });
}
