// `phoenix test <ids...|hypervisor> [--suite NAME]`: the guest test runner with the target ID, or the hypervisor
// test runner, as the managers did; --suite is passed through. A fleet read from the original's JSON files has the
// original's runner, which takes `CTID SUITE` and finds the suite's tests itself: it is called once per suite, as
// run_post_deployment_validation called it.
import { resolveTargets } from '../targets.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withSession } from '../frame.js';
import { testPlan, type TestRun } from '../requests.js';
import { runWork } from '../run-work.js';
import { emptyLive } from '../plan.js';
import type { Fleet, Guest } from '../../config/model.js';
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

/** Whether the guest's tests are the original's: read from its JSON files, run by its `test_runner.sh CTID SUITE`. */
const originalRunner = (g: Guest): boolean => g.origin.file.endsWith('.json');

/** The runs that test one guest. */
function guestRuns(
  fleet: Fleet,
  g: Guest,
  suite: string | undefined,
  env: Record<string, string>,
): Result<TestRun[], string> {
  const scripts = suiteScripts(g, suite);
  if (!scripts.ok) return scripts;
  if (originalRunner(g)) {
    const suites = suite === undefined ? Object.keys(g.scripts.tests) : [suite];
    return ok(
      suites.map((s) => ({ target: g.id, suite: s, argv: [fleet.guestTestRunner, String(g.id), s], env })),
    );
  }
  const named = suite === undefined ? [] : ['--suite', suite];
  return ok([
    { target: g.id, argv: [fleet.guestTestRunner, String(g.id), ...named, '--', ...scripts.value], env },
  ]);
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
          const guest = guestRuns(fleet, g, ctx.options.suite, env);
          if (!guest.ok) {
            ctx.io.err(guest.error);
            return EXIT.failed;
          }
          if (guest.value.length === 0) ctx.io.out(`${g.id} defines no tests`);
          runs.push(...guest.value);
        }
      }
      // The runner's report is the output: streamed line by line to stdout, also when a test fails.
      return runWork(session, ctx, { plan: { steps: testPlan(runs) }, live: emptyLive(session) });
    },
    { lock: false },
  );
}
