// Crash and resume: SIGKILL Phoenix at seeded random moments during `LetsGo` on the simulator, re-run it each
// time, and check that every cache file parses at every kill point, that each lock left behind is taken over with
// a warning, and that the host (guests, configs, snapshots, status) and the cache end exactly as after an
// uninterrupted run. PHOENIX_CRASH_KILLS sets the number of kills (default 12; the suite runs on two cores in under 3 minutes, so deeper runs set it: PHOENIX_CRASH_KILLS=50), PHOENIX_CRASH_SEED the seed.
// Only Phoenix is killed: the pct/qm it started run on and finish their task, as on a real host.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheFile } from '../../src/cache/format.js';
import { readCalls, readSimState, writeSimConfig, type SimState } from '../../simulator/src/testing.js';
import { isStateChanging, readStepCache, tempDir } from './helpers.js';
import { writeFleet } from './fleet.js';
import { newWorkspace, phoenix, type FleetWorkspace } from './workspace.js';

const KILLS = Number(process.env.PHOENIX_CRASH_KILLS ?? 12);
const SEED = Number(process.env.PHOENIX_CRASH_SEED ?? 20250101);
const LATENCY = { latencyScale: 0.02 };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** mulberry32: a small seeded generator, so a failing sequence of kill points can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What must match between runs: guests with their config (minus generated MACs), snapshots and status. */
function hostShape(s: SimState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, g] of Object.entries(s.guests)) {
    const config = Object.fromEntries(
      Object.entries(g.config).map(([k, v]) => [k, v.replace(/,?hwaddr=[0-9A-F:]+/, '')]),
    );
    out[id] = {
      type: g.type,
      status: g.status,
      config,
      lxc: g.lxc,
      snapshots: Object.keys(g.snapshots).sort(),
    };
  }
  return out;
}

function fingerprints(cache: string): Record<string, string> {
  return Object.fromEntries(Object.entries(readStepCache(cache)).map(([a, r]) => [a, r.fingerprint]));
}

/** Every step cache file must parse and validate, whenever Phoenix was killed. */
function assertCacheFilesWhole(cache: string, when: string): void {
  const hosts = join(cache, 'hosts');
  if (!existsSync(hosts)) return;
  for (const ns of readdirSync(hosts)) {
    for (const f of readdirSync(join(hosts, ns))) {
      const path = join(hosts, ns, f);
      if (!f.endsWith('.json')) {
        // The temp file of a write a kill interrupted may be left (private-files.ts); it is never read.
        expect(f, `${when}: unexpected file ${path}`).toMatch(/\.json\.\d+\.\d+\.tmp$/);
        continue;
      }
      const parsed = cacheFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      expect(parsed.success, `${when}: ${path} is not a whole cache file`).toBe(true);
    }
  }
}

describe('crash and resume', () => {
  it(`${KILLS} SIGKILLs during LetsGo, each followed by a re-run, end as an uninterrupted run does`, async () => {
    const config = writeFleet(tempDir());
    const clean: FleetWorkspace = await newWorkspace(config, LATENCY);
    const crashed: FleetWorkspace = await newWorkspace(config, LATENCY);
    dirs.push(clean.root, clean.sim, crashed.root, crashed.sim);

    const reference = await phoenix(clean, ['LetsGo']);
    expect(reference.exit, reference.stderr).toBe(0);
    const changes = readCalls(clean.sim).filter(isStateChanging).length;
    await crashAndResume(crashed, changes);

    writeSimConfig(crashed.sim, LATENCY);
    const last = await phoenix(crashed, ['LetsGo']);
    expect(last.exit, last.stderr).toBe(0);
    expect(hostShape(readSimState(crashed.sim))).toEqual(hostShape(readSimState(clean.sim)));
    expect(fingerprints(crashed.cache)).toEqual(fingerprints(clean.cache));
  }, 240_000); // 12 kills and re-runs: the longest test, sharing the machine with the others
});

/**
 * Kill points are placed along the build, not the clock: run k is killed a random 0-60 ms after the host has
 * seen its n_k-th state-changing command, n_k being seeded random points spread over the uninterrupted run's
 * `changes` commands, so kills land in every phase however fast the machine is.
 */
async function crashAndResume(ws: FleetWorkspace, changes: number): Promise<void> {
  const next = random(SEED);
  const points = Array.from({ length: KILLS }, () => 1 + Math.floor(next() * changes)).sort((a, b) => a - b);
  let leftLocks = 0;
  let deadLock = false;
  let killedMidBuild = 0;
  for (const [k, point] of points.entries()) {
    const jitter = Math.floor(next() * 60);
    let poll: NodeJS.Timeout | undefined;
    let runPid = 0;
    const ran = await phoenix(ws, ['LetsGo'], {
      onSpawn: (pid) => {
        runPid = pid;
        poll = setInterval(() => {
          if (readCalls(ws.sim).filter(isStateChanging).length < point) return;
          clearInterval(poll);
          setTimeout(() => {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // it finished first
            }
          }, jitter);
        }, 15);
      },
    });
    clearInterval(poll);
    const when = `kill ${k + 1} (after change ${point} + ${jitter} ms)`;
    expect(ran.exit === 3, `${when}: a lock left by a killed run blocked the next run\n${ran.stderr}`).toBe(
      false,
    );
    if (ran.signal !== 'SIGKILL') expect(ran.exit, `${when}\n${ran.stderr}`).toBe(0);
    // A run killed while holding the lock leaves its holder record: the first later run that gets as far as the
    // lock must take it over, saying so (a run killed before reaching the lock leaves it to the next one).
    const tookOver = /took over the run lock left by a process that is gone/.test(ran.stderr);
    const killed = ran.signal === 'SIGKILL';
    const holdsLock = lockHolderPid(ws.sim) === runPid;
    if (deadLock && (!killed || holdsLock)) {
      expect(tookOver, `${when}: the dead run's lock was not taken over\n${ran.stderr}`).toBe(true);
      deadLock = false;
    }
    if (killed && holdsLock) {
      deadLock = true;
      leftLocks++;
    }
    // The fleet has 17 steps: a kill before they are all recorded interrupted the build itself.
    if (ran.signal === 'SIGKILL' && Object.keys(readStepCache(ws.cache)).length < 17) killedMidBuild++;
    assertCacheFilesWhole(ws.cache, when);
  }
  expect(killedMidBuild, 'kills that interrupted the build').toBeGreaterThan(KILLS / 2);
  expect(leftLocks, 'runs killed while holding the lock').toBeGreaterThanOrEqual(KILLS / 4);
}

/** PID in the run lock's holder record, or 0 when no lock is held (the lock lives with the host: its folder). */
function lockHolderPid(sim: string): number {
  const locks = join(sim, 'phoenix-locks');
  const name = existsSync(locks) ? readdirSync(locks).find((n) => n.endsWith('.holder.json')) : undefined;
  if (name === undefined) return 0;
  try {
    return (JSON.parse(readFileSync(join(locks, name), 'utf8')) as { pid: number }).pid;
  } catch {
    return 0;
  }
}
