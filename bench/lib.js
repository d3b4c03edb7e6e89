// Shared helpers of the benchmark scripts: run the phoenix CLI against a simulator folder, time it, count the
// simulator's host processes, and make throwaway folders. Plain ESM run by node against dist/.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PHOENIX = join(ROOT, 'bin', 'phoenix.cjs');
export const REFERENCE = join(ROOT, 'bench', 'fleets', 'reference');
const TIME = '/usr/bin/time';

const sim = await import(join(ROOT, 'dist', 'simulator', 'src', 'testing.js'));
export const { createSimDir, readCalls, writeSimConfig, simEnv, seedGuest } = sim;

const made = [];
/** A temp folder removed at the end of the benchmark (unless PHOENIX_BENCH_KEEP is set). */
export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), `phoenix-bench-${prefix}-`));
  made.push(d);
  return d;
}
/** createSimDir leaves removal to its caller: register the folder for cleanup(). */
export function registerSimDir(dir) {
  made.push(dir);
  return dir;
}
export function cleanup() {
  if (process.env.PHOENIX_BENCH_KEEP) return;
  for (const d of made) rmSync(d, { recursive: true, force: true });
}

let referenceDir;
/**
 * A copy of the reference fleet in a temp folder, made once per benchmark: Phoenix writes its compiled-config
 * cache beside the config, and the repository stays clean.
 */
export function referenceFleet() {
  if (referenceDir === undefined) {
    referenceDir = tempDir('reference');
    cpSync(REFERENCE, referenceDir, {
      recursive: true,
      dereference: true,
      filter: (src) => !src.includes('.phoenixcache'),
    });
  }
  return referenceDir;
}

/** The reference fleet's simulator realism file (exec rules so feature scripts take their install path). */
export function referenceSimConfig() {
  return JSON.parse(readFileSync(join(REFERENCE, 'phoenix.sim.json'), 'utf8'));
}

/**
 * Environment of a benchmarked run: its own step cache, no user preferences (an empty prefs folder, so a
 * `phoenix prefs set concurrency` on this machine cannot change a figure), no colours, not a TTY.
 */
export function benchEnv(cacheDir, extra = {}) {
  const prefs = tempDir('prefs');
  const env = {
    ...process.env,
    PHOENIX_CACHE_DIR: cacheDir,
    PHOENIX_PREFS_DIR: prefs,
    // Each figure's own code cache (src/cli/bundle-loader.ts), warmed by its first runs, not the user's.
    PHOENIX_CODE_CACHE: tempDir('code-cache'),
    NO_COLOR: '1',
    ...extra,
  };
  for (const k of ['PHOENIX_CONFIG', 'PHOENIX_SIM_DIR', 'PHOENIX_CONCURRENCY', 'PHOENIX_RENDERER'])
    delete env[k];
  delete env.PHOENIX_SIM_LATENCY_SCALE; // sim.json decides the latency of each figure
  return env;
}

/**
 * Runs a command; resolves with exit code, wall ms, output and (when /usr/bin/time exists) peak RSS in KiB.
 * `rss: true` wraps the command in `/usr/bin/time -v`.
 */
export function run(argv, { cwd = ROOT, env = process.env, rss = false } = {}) {
  const useTime = rss && existsSync(TIME);
  const [cmd, ...args] = useTime ? [TIME, '-v', ...argv] : argv;
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let maxRssKiB;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        maxRssKiB = m ? Number(m[1]) : undefined;
        stderr = stderr.replace(/\n?\tCommand being timed:[\s\S]*$/, '');
      }
      resolvePromise({ code, ms, stdout, stderr, maxRssKiB });
    });
  });
}

/** `phoenix <args>` in `cwd`; throws with its output when it exits non-zero (a benchmark of a failure is void). */
export async function phoenix(args, opts) {
  const r = await run(['node', PHOENIX, ...args], opts);
  if (r.code !== 0 && !opts?.allowFail) {
    throw new Error(
      `phoenix ${args.join(' ')} exited ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`,
    );
  }
  return r;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Host processes the simulator logged since `from` (a previous count). */
export function callsSince(simDir, from) {
  return readCalls(simDir).slice(from);
}

export function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}
