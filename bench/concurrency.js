// Figure 3, concurrency: a full `LetsGo` of the reference fleet on a fresh simulated node at --concurrency 1 and
// 4, against the lower bound max(critical path, total work / 4).
// Step costs: each step's own duration in the concurrency-1 run (the cache's durationMs: what the step took with
// nothing else running, i.e. the simulator's latencies plus the real cost of its processes on this machine).
// The graph: `phoenix graph --format json` (the edges the runner orders steps by).
// The run phase: the runner's own wall time from the summary line ("N run, ... in 1m05s"), so start-up and the
// LetsGo start phase (every guest is already running by then) are not counted against the scheduler.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  benchEnv,
  createSimDir,
  log,
  phoenix,
  referenceFleet,
  referenceSimConfig,
  registerSimDir,
  tempDir,
} from './lib.js';

/** Documented: the full realistic run (latencyScale 1) takes several minutes per run on two cores. */
export const CONCURRENCY_LATENCY_SCALE = 0.3;

function runPhaseMs(stderr) {
  const m = /(\d+) run, \d+ up to date in (?:(\d+)m(\d+)s|([\d.]+)s|(\d+)ms)/.exec(stderr);
  if (!m) throw new Error(`no run summary in:\n${stderr.slice(-2000)}`);
  const [, ran, min, sec, s, ms] = m;
  const wall =
    min !== undefined
      ? (Number(min) * 60 + Number(sec)) * 1000
      : s !== undefined
        ? Number(s) * 1000
        : Number(ms);
  return { ran: Number(ran), wall };
}

function recordedDurations(cacheDir) {
  const out = new Map();
  const hosts = join(cacheDir, 'hosts');
  for (const ns of readdirSync(hosts))
    for (const f of readdirSync(join(hosts, ns)).filter((n) => n.endsWith('.json'))) {
      const file = JSON.parse(readFileSync(join(hosts, ns, f), 'utf8'));
      for (const [address, r] of Object.entries(file.steps)) out.set(address, r.durationMs);
    }
  return out;
}

/** Longest path through the DAG restricted to `cost`'s steps (edges through other steps are kept transitively). */
function criticalPath(graph, cost) {
  const preds = new Map(graph.nodes.map((n) => [n.address, []]));
  for (const e of graph.edges) preds.get(e.to)?.push(e.from);
  const finish = new Map();
  const visit = (a) => {
    if (finish.has(a)) return finish.get(a);
    let start = 0;
    for (const p of preds.get(a) ?? []) start = Math.max(start, visit(p));
    const f = start + (cost.get(a) ?? 0);
    finish.set(a, f);
    return f;
  };
  let best = 0;
  for (const n of graph.nodes) best = Math.max(best, visit(n.address));
  return best;
}

async function fullBuild(concurrency) {
  const simDir = registerSimDir(
    await createSimDir({ config: { ...referenceSimConfig(), latencyScale: CONCURRENCY_LATENCY_SCALE } }),
  );
  const cacheDir = tempDir(`conc${concurrency}-cache`);
  const opts = { cwd: referenceFleet(), env: benchEnv(cacheDir) };
  log(`concurrency: full LetsGo at --concurrency ${concurrency} (latencyScale ${CONCURRENCY_LATENCY_SCALE})`);
  const r = await phoenix(['LetsGo', '--concurrency', String(concurrency), '--sim-dir', simDir], opts);
  const phase = runPhaseMs(r.stderr);
  log(
    `concurrency ${concurrency}: ${phase.ran} steps, run phase ${(phase.wall / 1000).toFixed(1)} s, process ${(r.ms / 1000).toFixed(1)} s`,
  );
  return { simDir, cacheDir, opts, processMs: r.ms, ...phase };
}

export async function concurrencyFigure() {
  const one = await fullBuild(1);
  const four = await fullBuild(4);
  const cost = recordedDurations(one.cacheDir);
  const graph = JSON.parse(
    (await phoenix(['graph', '--format', 'json', '--sim-dir', one.simDir], one.opts)).stdout,
  );
  const work = [...cost.values()].reduce((a, b) => a + b, 0);
  const cp = criticalPath(graph, cost);
  const bound = Math.max(cp, work / 4);
  return {
    latencyScale: CONCURRENCY_LATENCY_SCALE,
    steps: cost.size,
    c1RunMs: one.wall,
    c1ProcessMs: one.processMs,
    c4RunMs: four.wall,
    c4ProcessMs: four.processMs,
    totalWorkMs: work,
    criticalPathMs: cp,
    boundMs: bound,
    ratio: four.wall / bound,
    speedup: one.wall / four.wall,
  };
}
