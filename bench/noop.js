// Figure 1, no-op converge: build the reference fleet, then time a second `LetsGo` with realistic simulator
// latency (latencyScale 1) and count its host processes from calls.jsonl; compare with the same second run
// under --no-cache (every step checked and acted on, the bash original's pattern).
import {
  benchEnv,
  callsSince,
  createSimDir,
  log,
  registerSimDir,
  median,
  phoenix,
  readCalls,
  referenceFleet,
  referenceSimConfig,
  tempDir,
  writeSimConfig,
} from './lib.js';

const RUNS = 3;

export async function noopFigure() {
  const simCfg = referenceSimConfig();
  const simDir = registerSimDir(await createSimDir({ config: { ...simCfg, latencyScale: 0 } }));
  const cacheDir = tempDir('noop-cache');
  const env = benchEnv(cacheDir);
  const opts = { cwd: referenceFleet(), env };
  const sim = ['--sim-dir', simDir];

  log('no-op: building the reference fleet (latencyScale 0)');
  const build = await phoenix(['LetsGo', ...sim], opts);
  const counted = /(\d+) containers, (\d+) VMs/.exec((await phoenix(['validate'], opts)).stdout);
  const guests = counted ? Number(counted[1]) + Number(counted[2]) : NaN;

  writeSimConfig(simDir, { ...simCfg, latencyScale: 1 });
  const walls = [];
  let calls = [];
  for (let i = 0; i < RUNS; i++) {
    const before = readCalls(simDir).length;
    const r = await phoenix(['LetsGo', ...sim], opts);
    walls.push(r.ms);
    calls = callsSince(simDir, before);
    if (!/Nothing to build/.test(r.stderr)) throw new Error(`second LetsGo was not a no-op:\n${r.stderr}`);
  }
  log(
    `no-op: ${calls.length} calls (${calls.map((c) => `${c.tool} ${c.argv.join(' ')}`).join(', ')}), median ${median(walls).toFixed(0)} ms`,
  );

  // The check-every-step pattern of the bash original: the same run with no step records.
  log('no-op: the same run under --no-cache');
  const before = readCalls(simDir).length;
  const nc = await phoenix(['LetsGo', '--no-cache', ...sim], opts);
  if (!/^Running \d+ steps/m.test(nc.stderr)) throw new Error(`--no-cache ran no step:\n${nc.stderr}`);
  const ncCalls = callsSince(simDir, before).length;
  log(`no-op: --no-cache ${ncCalls} calls, ${(nc.ms / 1000).toFixed(1)} s`);

  return {
    guests,
    buildMs: build.ms,
    calls: calls.length,
    callList: calls.map((c) => `${c.tool} ${c.argv.join(' ')}`),
    wallMs: median(walls),
    wallRunsMs: walls,
    noCacheCalls: ncCalls,
    noCacheWallMs: nc.ms,
    ratio: ncCalls / Math.max(calls.length, 1),
  };
}
