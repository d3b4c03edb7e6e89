// `phoenix validate`: check the config, print a summary; exit 0 (valid) or 2 (every problem listed). With --json
// stdout is one document either way: the summary, or `{ valid: false, problems }`.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { loadConfigFor } from '../load-config.js';
import { summarizeFleet } from '../../config/summary.js';

export async function run(ctx: VerbContext): Promise<number> {
  const loaded = await loadConfigFor(ctx, {
    onInvalid: (problems) => {
      if (ctx.options.json) ctx.io.out(JSON.stringify({ valid: false, problems }));
    },
  });
  if (!loaded.ok) return loaded.error;
  const s = summarizeFleet(loaded.value.fleet);
  if (ctx.options.strict && loaded.value.warnings > 0) {
    const n = loaded.value.warnings;
    ctx.io.err(
      `Error: --strict: the config has ${n} warning${n === 1 ? '' : 's'} (listed above); fix them or drop --strict.`,
    );
    return EXIT.usage;
  }
  if (ctx.options.json) {
    ctx.io.out(
      JSON.stringify({ valid: true, files: loaded.value.fleet.files, ...s, warnings: loaded.value.warnings }),
    );
  } else {
    ctx.io.out(`Config OK: ${loaded.value.fleet.files.join(', ')}`);
    ctx.io.out(
      `${s.containers} containers, ${s.vms} VMs, ${s.templates} templates, ${loaded.value.warnings} warning${loaded.value.warnings === 1 ? '' : 's'}`,
    );
    // Nothing silent: what Phoenix only hands to scripts, and what it does not read at all.
    const passed = s.guests.filter((g) => g.passed_to_scripts.length > 0);
    if (passed.length > 0) {
      ctx.io.out(
        'Keys passed to scripts only (Phoenix does not act on them; --json lists the keys it acts on):',
      );
      for (const g of passed) ctx.io.out(`  ${g.id} (${g.name}): ${g.passed_to_scripts.join(', ')}`);
    }
    for (const r of s.replaced_scripts)
      ctx.io.out(`Setup script not run: ${r.script} (the ${r.by} step does its job)`);
    if (s.unread_files.length > 0)
      ctx.io.out(`Files beside the config Phoenix does not read: ${s.unread_files.join(', ')}`);
  }
  return EXIT.ok;
}
