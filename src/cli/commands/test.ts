// `phoenix test <ids...|hypervisor> [--suite NAME]`: the guest test runner with the target ID, or the hypervisor
// test runner, as the managers did; --suite is passed through.
import { resolveTargets } from '../../app/targets.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../with-session.js';

export async function run(ctx: CommandContext): Promise<number> {
  return withSession(
    ctx,
    async (session, fleet) => {
      const suite = ctx.options.suite ? ['--suite', ctx.options.suite] : [];
      const runs: string[][] = [];
      if (ctx.words.length === 1 && ctx.words[0] === 'hypervisor') {
        runs.push([fleet.hypervisorTestRunner, ...suite]);
      } else {
        const targets = resolveTargets(fleet, ctx.words);
        if (!targets.ok) {
          ctx.io.err(targets.error);
          return EXIT.failed;
        }
        for (const g of targets.value) runs.push([fleet.guestTestRunner, String(g.id), ...suite]);
      }
      for (const argv of runs) {
        if (ctx.options.dryRun) {
          ctx.io.out(`would run: ${argv.join(' ')}`);
          continue;
        }
        const result = await session.host.run(argv, { env: { PHOENIX_CONFIG_ROOT: fleet.root } });
        if (result.ok) ctx.io.out(result.value.stdout.trimEnd());
        else {
          ctx.io.err(`Error: tests failed: ${result.error.message}`);
          return EXIT.failed;
        }
      }
      return EXIT.ok;
    },
    { lock: false },
  );
}
