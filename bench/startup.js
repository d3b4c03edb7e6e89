// Figure 4, start-up as ratios to bare `node -e 0` measured in the same run: the median of 20 runs each of
// `phoenix --help` and of a no-op `phoenix plan` on the example fleet (built first, compiled config cached).
// The runs are interleaved so a change of machine load hits them all alike. The plan runs against a simulator
// folder, whose node files (.vmlist, /proc, pid files) answer the live read as a node's do: it starts no process,
// and the figure is Phoenix's own start-up. The plan's calls are counted too (expected: none).
import {
  benchEnv,
  callsSince,
  createSimDir,
  log,
  median,
  phoenix,
  readCalls,
  registerSimDir,
  ROOT,
  run,
  tempDir,
} from './lib.js';

const RUNS = 20;

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
  const before = readCalls(simDir).length;
  for (let i = 0; i < RUNS; i++) {
    bare.push((await run(['node', '-e', '0'], opts)).ms);
    help.push((await phoenix(['--help'], opts)).ms);
    plan.push((await phoenix(['plan', ...sim], opts)).ms);
  }
  const planCalls = callsSince(simDir, before).length / RUNS;
  const b = median(bare);
  log(
    `start-up: node ${b.toFixed(0)} ms, --help ${median(help).toFixed(0)} ms, plan ${median(plan).toFixed(0)} ms (${planCalls} host processes each)`,
  );
  return {
    runs: RUNS,
    nodeMs: b,
    helpMs: median(help),
    planMs: median(plan),
    helpRatio: median(help) / b,
    planRatio: median(plan) / b,
    planCalls,
    nodeRunsMs: bare,
    planRunsMs: plan,
  };
}
