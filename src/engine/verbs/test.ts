// `phoenix test <ids...|hypervisor> [--suite NAME]`: the guest test runner with the target ID, or the hypervisor
// test runner, as the managers did; --suite is passed through.
import { resolveTargets } from '../targets.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { testPlan, type TestRun } from '../requests.js';
import { runWork } from '../run-work.js';
import { emptyLive } from '../plan.js';
import type { Guest } from '../../config/model.js';
import { err, ok, type Result } from '../../result.js';

/** The test scripts of the guest's suite (every suite when none is named); an unknown suite names the known ones. */
function suiteScripts(g: Guest, suite: string | undefined): Result<string[], string> {
  const suites = g.scripts.tests;
  if (suite === undefined) return ok(Object.values(suites).flatMap((cases) => cases.map((c) => c.path)));
  const cases = suites[suite];
  if (cases) return ok(cases.map((c) => c.path));
  const known = Object.keys(suites);
  return err(
    `Error: ${g.id} has no test suite '${suite}'` +
      (known.length > 0 ? ` (its suites: ${known.join(', ')})` : ' (it defines no tests)'),
  );
}

export async function run(ctx: VerbContext): Promise<number> {
  return withSession(
    ctx,
    async (session, fleet) => {
      const suite = ctx.options.suite ? ['--suite', ctx.options.suite] : [];
      const env = { PHOENIX_CONFIG_ROOT: fleet.root };
      const runs: TestRun[] = [];
      if (ctx.words.length === 1 && ctx.words[0] === 'hypervisor') {
        runs.push({ target: 'host', argv: [fleet.hypervisorTestRunner, ...suite], env });
      } else {
        const targets = resolveTargets(fleet, ctx.words);
        if (!targets.ok) {
          ctx.io.err(targets.error);
          return EXIT.failed;
        }
        for (const g of targets.value) {
          const scripts = suiteScripts(g, ctx.options.suite);
          if (!scripts.ok) {
            ctx.io.err(scripts.error);
            return EXIT.failed;
          }
          const argv = [fleet.guestTestRunner, String(g.id), ...suite, '--', ...scripts.value];
          runs.push({ target: g.id, argv, env });
        }
      }
      // The runner's report is the output: streamed line by line to stdout, also when a test fails.
      return runWork(session, ctx, { plan: { steps: testPlan(runs) }, live: emptyLive(session) });
    },
    { lock: false },
  );
}
