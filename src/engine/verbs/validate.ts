// `phoenix validate`: check the config, print a summary; exit 0 (valid) or 2 (every problem listed).
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { loadConfigFor } from '../load-config.js';
import { summarizeFleet } from '../../config/summary.js';

export async function run(ctx: VerbContext): Promise<number> {
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.exit;
  const s = summarizeFleet(loaded.fleet);
  if (ctx.options.json) {
    ctx.io.out(JSON.stringify({ valid: true, files: loaded.fleet.files, ...s, warnings: loaded.warnings }));
  } else {
    ctx.io.out(`Config OK: ${loaded.fleet.files.join(', ')}`);
    ctx.io.out(
      `${s.containers} containers, ${s.vms} VMs, ${s.templates} templates, ${loaded.warnings} warning${loaded.warnings === 1 ? '' : 's'}`,
    );
  }
  return EXIT.ok;
}
