// Figure 4, start-up as ratios to bare `node -e 0` measured in the same run: the median of 10 runs each of
// `phoenix --help` and of a no-op `phoenix plan` on the example fleet (built first, compiled config cached).
// The runs are interleaved so a change of machine load hits them all alike. The plan runs against a simulator
// folder at latencyScale 0: the figure is Phoenix's own start-up (the simulator's two `pct list`/`qm list`
// processes still count, at their bare process cost); realistic latency is figure 1's business.
// A reference point: the floor of any no-op plan here, a bare Node that only starts the two listings at once and
// waits for them (three Node start-ups on two cores).
import {
  benchEnv,
  createSimDir,
  log,
  median,
  phoenix,
  registerSimDir,
  ROOT,
  run,
  simEnv,
  tempDir,
} from './lib.js';

const RUNS = 20;

/** The listings a no-op plan needs, started at once by a bare Node process that then waits for both. */
const LISTINGS_ONLY = `
const { spawn } = require('node:child_process');
let left = 2;
for (const [tool, verb] of [['pct', 'list'], ['qm', 'list']])
  spawn(tool, [verb], { stdio: 'ignore' }).on('close', () => --left || process.exit(0));
`;

export async function startupFigure() {
  const simDir = registerSimDir(await createSimDir({ config: { latencyScale: 0 } }));
  const opts = { cwd: ROOT, env: benchEnv(tempDir('startup-cache')) };
  const sim = ['--sim-dir', simDir];
  log('start-up: building the example fleet (latencyScale 0)');
  await phoenix(['LetsGo', ...sim], opts);
  const probe = await phoenix(['plan', ...sim], opts); // also warms the compiled-config cache
  if (!/(^|\n)0 to run, 0 blocked/.test(probe.stdout))
    throw new Error(`plan is not a no-op:\n${probe.stdout}`);

  const bare = [];
  const help = [];
  const plan = [];
  const floor = [];
  const floorOpts = { ...opts, env: simEnv(simDir, opts.env) };
  for (let i = 0; i < RUNS; i++) {
    bare.push((await run(['node', '-e', '0'], opts)).ms);
    help.push((await phoenix(['--help'], opts)).ms);
    plan.push((await phoenix(['plan', ...sim], opts)).ms);
    floor.push((await run(['node', '-e', LISTINGS_ONLY], floorOpts)).ms);
  }
  const b = median(bare);
  log(
    `start-up: node ${b.toFixed(0)} ms, --help ${median(help).toFixed(0)} ms, plan ${median(plan).toFixed(0)} ms, listings alone ${median(floor).toFixed(0)} ms`,
  );
  return {
    runs: RUNS,
    nodeMs: b,
    helpMs: median(help),
    planMs: median(plan),
    helpRatio: median(help) / b,
    planRatio: median(plan) / b,
    listingsMs: median(floor),
    listingsRatio: median(floor) / b,
  };
}
