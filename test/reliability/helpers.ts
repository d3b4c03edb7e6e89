// Shared by the reliability tests: run the real `phoenix` process against a simulator folder, and read what it
// left behind (simulator call log, step cache files).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { CallRecord } from '../../simulator/src/testing.js';
import { tempDir as sharedTempDir } from '../support/temp-dirs.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const PHOENIX = join(REPO, 'bin', 'phoenix.cjs');

export interface Ran {
  exit: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Workspace {
  /** Simulator folder (pass as --sim-dir). */
  sim: string;
  /** PHOENIX_CACHE_DIR. */
  cache: string;
  /** PHOENIX_PREFS_DIR. */
  prefs: string;
  root: string;
}

export function tempDir(prefix = 'phoenix-rel-'): string {
  return sharedTempDir(prefix);
}

/** The environment every test run gets: its own cache and prefs, no colour, line output. */
export function phoenixEnv(ws: Workspace, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PHOENIX_')) delete env[k];
  return {
    ...env,
    PHOENIX_CACHE_DIR: ws.cache,
    PHOENIX_PREFS_DIR: ws.prefs,
    CI: '1',
    NO_COLOR: '1',
    ...extra,
  };
}

export interface RunOpts {
  env?: NodeJS.ProcessEnv;
  /** Called once the process is spawned (crash tests kill it). */
  onSpawn?: (pid: number) => void;
  /** Close the reading end of its stdout at once, as `| head -0` would: every write to stdout fails with EPIPE. */
  closeStdout?: boolean;
}

/** `node bin/phoenix.cjs ...args` with `--sim-dir`, collecting output. Never rejects. */
export function runPhoenix(ws: Workspace, args: string[], opts: RunOpts = {}): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [PHOENIX, ...args, '--sim-dir', ws.sim], {
      env: phoenixEnv(ws, opts.env),
      cwd: ws.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    child.on('close', (exit, signal) => done({ exit, signal, stdout, stderr }));
  });
}

/** Simulator calls that only read: anything else changes the host. */
const READ_ONLY =
  /^(?:pct (?:list|config|status|pending|listsnapshot)|qm (?:list|config|status|pending|listsnapshot|guest cmd \d+ (?:ping|info|get-\S+)|guest exec \d+ (?:--timeout \d+ )?-- (?:cat|cloud-init status)\b|agent)|pvesm (?:status|list)|pveam (?:list|available)|pvesh get)\b/;

export function callLine(c: CallRecord): string {
  return [c.tool, ...c.argv].join(' ');
}

export function isStateChanging(c: CallRecord): boolean {
  return !READ_ONLY.test(callLine(c));
}

/** Every file under `dir` (relative path -> sha256), skipping the folders named in `skip`. */
export function treeDigest(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip.includes(rel)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** The step cache as data: address -> record, over every `hosts/<namespace>/<target>.json`. */
export function readStepCache(cacheDir: string): Record<string, { fingerprint: string }> {
  const out: Record<string, { fingerprint: string }> = {};
  const hosts = join(cacheDir, 'hosts');
  if (!existsSync(hosts)) return out;
  for (const ns of readdirSync(hosts)) {
    for (const f of readdirSync(join(hosts, ns))) {
      if (!f.endsWith('.json')) continue;
      const file = JSON.parse(readFileSync(join(hosts, ns, f), 'utf8')) as {
        steps: Record<string, { fingerprint: string }>;
      };
      Object.assign(out, file.steps);
    }
  }
  return out;
}

/** Run `work` over `items` with at most `limit` at once. */
export async function inParallel<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/**
 * The CLI's dispatcher in this process, with its output captured: the same code path as the binary minus Node's
 * start-up, for suites of many short cases. An exception escaping it is returned as `thrown` (a crash).
 */
export async function dispatchInProcess(
  ws: Workspace,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Ran & { thrown?: string }> {
  const { dispatch } = await import('../../src/cli/main.js');
  const { PassThrough } = await import('node:stream');
  let stdout = '';
  let stderr = '';
  const sink = (into: 'out' | 'err') => {
    const s = new PassThrough();
    s.on('data', (d: Buffer) => (into === 'out' ? (stdout += d.toString()) : (stderr += d.toString())));
    return s;
  };
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io = {
    out: (t: string) => void (stdout += line(t)),
    err: (t: string) => void (stderr += line(t)),
    stdout: sink('out'),
    stderr: sink('err'),
    isTTY: false,
    color: false,
  };
  try {
    const exit = await dispatch([...args, '--sim-dir', ws.sim], io, phoenixEnv(ws, extraEnv), ws.root);
    return { exit, signal: null, stdout, stderr };
  } catch (e) {
    return {
      exit: null,
      signal: null,
      stdout,
      stderr,
      thrown: e instanceof Error ? (e.stack ?? e.message) : String(e),
    };
  }
}

/** Output of the line renderer (`[950:start] ok 1.2s`): the steps that started, finished and failed. */
export function stepsIn(output: string): { started: string[]; ok: string[]; failed: string[] } {
  const grab = (re: RegExp) => [...output.matchAll(re)].map((m) => m[1] ?? '');
  return {
    started: grab(/^\[(\S+)\] start(?:: .*)?$/gm),
    ok: grab(/^\[(\S+)\] ok\b/gm),
    failed: grab(/^\[(\S+)\] FAILED\b/gm),
  };
}
