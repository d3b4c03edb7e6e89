// Figure 3, concurrency: a full `LetsGo` of the reference fleet on a fresh simulated node at --concurrency 1 and
// 4, against the lower bound max(critical path, total work / 4).
// Step costs: each step's own duration in the concurrency-1 run (the cache's durationMs: what the step took with
// nothing else running, i.e. the simulator's latencies plus the real cost of its processes on this machine).
// The graph: `phoenix plan --json` on the fresh node (each step's `after` are the edges the runner orders by, and
// `locks` the host locks it holds: a container clone holds its source, which Proxmox locks for the whole clone).
// The run phase: the runner's own wall time from the summary line ("N run, ... in 1m05s"), so start-up and the
// LetsGo start phase (every guest is already running by then) are not counted against the scheduler.
// Two more reference points, so a miss can be told apart: the lock-aware bound (the bound, raised by
// the clones of one source, which the host serializes) and `schedule`, the same graph, costs and locks run
// through the runner's own policy on four ideal workers (no CPU contention: this machine has two cores, and
// every simulated host call is a Node process).
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

/**
 * Realistic latency, as the issue asks (the concurrency-1 run takes about 5 minutes on two cores);
 * PHOENIX_BENCH_LATENCY_SCALE=0.3 gives a quicker, CPU-heavier approximation.
 */
export const CONCURRENCY_LATENCY_SCALE = Number(process.env.PHOENIX_BENCH_LATENCY_SCALE ?? 1);

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

/** Longest chain of costs ending with each step (`head`: before it starts) and starting with it (`tail`: after). */
function chains(steps, cost) {
  const byAddress = new Map(steps.map((st) => [st.address, st]));
  const succs = new Map(steps.map((st) => [st.address, []]));
  for (const st of steps) for (const p of st.after) succs.get(p)?.push(st.address);
  const head = new Map();
  const tail = new Map();
  const finish = (a) => {
    if (!head.has(a)) head.set(a, Math.max(0, ...byAddress.get(a).after.map(finish)));
    return head.get(a) + cost(a);
  };
  const rest = (a) => {
    if (!tail.has(a)) tail.set(a, Math.max(0, ...succs.get(a).map((n) => cost(n) + rest(n))));
    return tail.get(a);
  };
  for (const st of steps) {
    finish(st.address);
    rest(st.address);
  }
  return { head, tail, succs };
}

/**
 * Lower bound from the host locks: the holders of one lock run one after another, so the lock's busy span starts
 * no earlier than the earliest holder can, lasts their summed cost, and is followed by the shortest tail.
 */
function lockBound(steps, cost, { head, tail }) {
  const holders = new Map();
  for (const st of steps)
    for (const l of st.locks ?? []) holders.set(l, [...(holders.get(l) ?? []), st.address]);
  let best = 0;
  for (const as of holders.values()) {
    const span = as.reduce((sum, a) => sum + cost(a), 0);
    best = Math.max(
      best,
      Math.min(...as.map((a) => head.get(a))) + span + Math.min(...as.map((a) => tail.get(a))),
    );
  }
  return best;
}

/** The runner's policy (longest remaining chain first, locks respected) on `workers` ideal workers. */
function simulateSchedule(steps, cost, { tail, succs }, workers) {
  const rank = (a) => cost(a) + tail.get(a);
  const waiting = new Map(steps.map((st) => [st.address, st.after.length]));
  const locksOf = new Map(steps.map((st) => [st.address, st.locks ?? []]));
  let ready = steps.filter((st) => st.after.length === 0).map((st) => st.address);
  const held = new Set();
  let running = []; // { address, end }
  let now = 0;
  for (;;) {
    ready.sort((a, b) => rank(b) - rank(a));
    for (const a of [...ready]) {
      if (running.length >= workers) break;
      if (locksOf.get(a).some((l) => held.has(l))) continue;
      ready = ready.filter((x) => x !== a);
      for (const l of locksOf.get(a)) held.add(l);
      running.push({ address: a, end: now + cost(a) });
    }
    if (running.length === 0) return now;
    running.sort((x, y) => x.end - y.end);
    const next = running.shift();
    now = next.end;
    for (const l of locksOf.get(next.address)) held.delete(l);
    for (const n of succs.get(next.address)) {
      waiting.set(n, waiting.get(n) - 1);
      if (waiting.get(n) === 0) ready.push(n);
    }
  }
}

/** `before(simDir, opts)` runs on the fresh node before the build (the plan the build will run). */
async function fullBuild(concurrency, before) {
  const simDir = registerSimDir(
    await createSimDir({ config: { ...referenceSimConfig(), latencyScale: CONCURRENCY_LATENCY_SCALE } }),
  );
  const cacheDir = tempDir(`conc${concurrency}-cache`);
  const opts = { cwd: referenceFleet(), env: benchEnv(cacheDir) };
  const planned = await before?.(simDir, opts);
  log(`concurrency: full LetsGo at --concurrency ${concurrency} (latencyScale ${CONCURRENCY_LATENCY_SCALE})`);
  const r = await phoenix(['LetsGo', '--concurrency', String(concurrency), '--sim-dir', simDir], opts);
  const phase = runPhaseMs(r.stderr);
  log(
    `concurrency ${concurrency}: ${phase.ran} steps, run phase ${(phase.wall / 1000).toFixed(1)} s, process ${(r.ms / 1000).toFixed(1)} s`,
  );
  return { simDir, cacheDir, opts, processMs: r.ms, before: planned, ...phase };
}

export async function concurrencyFigure() {
  const one = await fullBuild(1, async (simDir, opts) =>
    JSON.parse((await phoenix(['plan', '--json', '--sim-dir', simDir], opts)).stdout),
  );
  const four = await fullBuild(4);
  const durations = recordedDurations(one.cacheDir);
  const cost = (a) => durations.get(a) ?? 0;
  const steps = one.before.steps.filter((st) => st.status === 'stale');
  const work = steps.reduce((sum, st) => sum + cost(st.address), 0);
  const ch = chains(steps, cost);
  const cp = Math.max(...steps.map((st) => ch.head.get(st.address) + cost(st.address)));
  const bound = Math.max(cp, work / 4);
  const withLocks = Math.max(bound, lockBound(steps, cost, ch));
  const ideal = simulateSchedule(steps, cost, ch, 4);
  return {
    latencyScale: CONCURRENCY_LATENCY_SCALE,
    steps: steps.length,
    recorded: durations.size,
    c1RunMs: one.wall,
    c1ProcessMs: one.processMs,
    c4RunMs: four.wall,
    c4ProcessMs: four.processMs,
    totalWorkMs: work,
    criticalPathMs: cp,
    boundMs: bound,
    ratio: four.wall / bound,
    lockBoundMs: withLocks,
    lockRatio: four.wall / withLocks,
    idealScheduleMs: ideal,
    idealRatio: ideal / bound,
    speedup: one.wall / four.wall,
  };
}
