// The only module that spawns processes: pct, qm, pvesm, pveam, pvesh and scripts, through execa with argument
// arrays (never a shell). Every command line and its output go to the run log, redacted; expected failures come
// back as CommandFailure values; Proxmox lock contention is retried with backoff.
import { basename, dirname, join } from 'node:path';
import type { GuestKind } from '../config/model.js';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import { formatArgv } from './argv.js';
import { createRedactor, openRunLog } from '../run/log.js';
import type { Redactor, RunLog } from '../run/log.js';
import type { Argv } from './argv.js';
import type { CommandFailure, CommandResult, HostExec, HostPathInfo, RunOptions } from './host.js';
import type { LiveGuest } from './live.js';
import { createConfigFileReader, guestConfigPath, readGuestConfigLive, readGuestLive } from './read-live.js';
import { chown, lstat, mkdir, readFile, stat } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import type { ConfigFileReader } from './read-live.js';
import { createNodeFiles, type NodeFiles } from './node-files.js';
import { loadExeca } from '../startup.js';
import { withPrivateFiles } from './temp-files.js';
import { OUTPUT_LIMIT, streamTail, type StreamTail } from './output.js';
import { DIRECT_LAUNCH, launchArgv, PROXMOX_TOOLS, type LaunchPolicy } from './launch.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Default timeouts, looked up by `tool sub sub`, `tool sub`, `tool`, then `*` (scripts and anything else).
 * Reads are short; create/clone/download/import and commands that run scripts are long.
 */
export const DEFAULT_TIMEOUTS: Readonly<Record<string, number>> = {
  '*': 60 * MINUTE,
  pct: 5 * MINUTE,
  qm: 5 * MINUTE,
  pvesm: 2 * MINUTE,
  pveam: 5 * MINUTE,
  pvesh: 5 * MINUTE,
  ...Object.fromEntries(
    [
      'pct list',
      'pct status',
      'pct config',
      'pct pending',
      'pct listsnapshot',
      'qm list',
      'qm status',
      'qm config',
      'qm pending',
      'qm listsnapshot',
      'qm guest cmd',
      'qm agent',
      'pvesm status',
      'pvesm list',
      'pveam list',
      'pveam available',
      'pvesh get',
    ].map((k) => [k, 60 * SECOND]),
  ),
  ...Object.fromEntries(
    [
      'pct create',
      'pct clone',
      'pct restore',
      'qm create',
      'qm clone',
      'qm disk import',
      'qm importdisk',
      'qm disk move',
      'pveam download',
    ].map((k) => [k, 30 * MINUTE]),
  ),
  'pct shutdown': 10 * MINUTE,
  'qm shutdown': 10 * MINUTE,
  // Feature and application scripts run through these.
  'pct exec': 60 * MINUTE,
  'qm guest exec': 60 * MINUTE,
};

export interface LockRetryOptions {
  /** First wait before retrying. */
  initialDelayMs: number;
  /** Longest single wait. */
  maxDelayMs: number;
  /** Give up (and report the lock as a failure) once this much time has passed since the first attempt. */
  totalMs: number;
}

export const DEFAULT_LOCK_RETRY: LockRetryOptions = {
  initialDelayMs: SECOND,
  maxDelayMs: 15 * SECOND,
  totalMs: 3 * MINUTE,
};

/**
 * Lock contention that a running task causes and that clears by itself: the config flock wait timing out, or the
 * `lock:` key a create/clone/disk/snapshot task holds while it runs. Other locks (backup, migrate, suspended) are
 * not waited for. A lock a crashed task left behind persists, so it is reported once the retry budget runs out.
 */
const LOCK_CONTENTION = [
  /can't lock file '[^']*' - got timeout/,
  /\b(?:CT|VM) is locked \((?:create|clone|disk|snapshot|snapshot-delete)\)/,
];

export function isLockContention(stderr: string): boolean {
  return LOCK_CONTENTION.some((re) => re.test(stderr));
}

export interface HostExecOptions {
  /** Proxmox node name (`pve`). */
  node: string;
  /**
   * `/` on a real host; the simulator's `$PHOENIX_SIM_DIR`, under which it keeps `etc/pve/...`, `proc/...` and
   * `var/run/qemu-server/...` as a node does.
   */
  pveRoot: string;
  /** The run log (`.phoenixcache/logs/<run>.log`), created with mode 0600; none for a verb that changes nothing. */
  logFile?: string;
  /** Environment for every command (default: process.env); `RunOptions.env` adds to it. */
  env?: NodeJS.ProcessEnv;
  /** Overrides and additions to DEFAULT_TIMEOUTS, same keys. */
  defaultTimeouts?: Record<string, number>;
  /** Secret values to mask in the log and in failures (passwords, tokens). */
  redact?: string[];
  lockRetry?: Partial<LockRetryOptions>;
  /** What stands between a command line and the process started for it (launch.ts); default: nothing. */
  launch?: LaunchPolicy;
}

/** The real backend: HostExec plus direct reads of the node's files, and the log it writes. */
export interface BackendHost extends HostExec, ConfigFileReader, NodeFiles {
  readonly logFile: string | undefined;
  /** Number of processes spawned so far (retries included). */
  readonly spawnCount: number;
  close(): void;
}

/**
 * PHOENIX_COMMAND_TIMEOUT_MS (a whole number of milliseconds) replaces every command's timeout, the per-call ones
 * included: tests make a hung command fail fast with it; an operator can cap a run whose commands are all short.
 */
export function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.PHOENIX_COMMAND_TIMEOUT_MS;
  const ms = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}

export function createHostExec(opts: HostExecOptions): BackendHost {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.defaultTimeouts };
  const timeoutOverride = timeoutFromEnv(opts.env ?? process.env);
  const retry = { ...DEFAULT_LOCK_RETRY, ...opts.lockRetry };
  const redactor = createRedactor(opts.redact);
  const log = openRunLog(opts.logFile);
  const files = createConfigFileReader(opts.pveRoot, opts.node);
  const nodeFiles = createNodeFiles(opts.pveRoot, opts.node);
  let seq = 0;
  let spawned = 0;

  const attempt = async (argv: Argv, ro: RunOptions): Promise<Result<CommandResult, CommandFailure>> => {
    const n = ++seq;
    spawned++;
    const redact = redactor.forCommand(argv);
    const timeoutMs = timeoutOverride ?? ro.timeoutMs ?? timeoutFor(argv, timeouts);
    // The step the command runs for; outside a step Phoenix only reads the host (live state, preflight, read-backs).
    log.write(`${stamp()} #${n} ${ro.step ?? '(read)'} $ ${formatArgv(redact.argv(argv))}`);
    const launch = launchArgv(argv, opts.launch ?? DIRECT_LAUNCH);
    if (!launch.ok) {
      log.write(`${stamp()} #${n} refused: ${launch.reason}`);
      return err({ reason: 'spawn-error', argv, stderrTail: launch.reason, message: launch.reason });
    }
    if (launch.argv !== argv)
      log.write(`${stamp()} #${n} started as: ${formatArgv(redact.argv(launch.argv))}`);
    // Each line reaches the log as it arrives (numbered: commands run side by side); memory keeps a tail.
    const line = (mark: string) => (text: string) => {
      log.write(`  #${n} ${mark} ${redact.text(text)}`);
      ro.onOutput?.(text);
    };
    const outcome = await spawn(launch.argv, ro, timeoutMs, opts.env ?? process.env, {
      out: streamTail(line('|')),
      err: streamTail(line('!')),
    });
    writeOutcome(log, n, outcome);
    return toResult(argv, outcome, timeoutMs, redact);
  };

  const host: BackendHost = {
    node: opts.node,
    logFile: opts.logFile,
    get spawnCount() {
      return spawned;
    },
    async run(argv, ro = {}) {
      ro.onCommand?.(redactor.forCommand(argv).argv(argv));
      const started = Date.now();
      for (let tries = 0; ; tries++) {
        const result = await attempt(argv, ro);
        if (
          result.ok ||
          result.error.reason !== 'exit-non-zero' ||
          !isLockContention(result.error.stderrTail)
        ) {
          return result;
        }
        const delay = backoff(tries, retry);
        if (Date.now() - started + delay > retry.totalMs || ro.signal?.aborted) return result;
        log.write(`${stamp()} lock busy, retrying in ${(delay / SECOND).toFixed(1)}s`);
        if (!(await sleep(delay, ro.signal))) return result;
      }
    },
    readGuestConfigFile: (kind, id) => files.readGuestConfigFile(kind, id),
    readStorageConfigFile: () => files.readStorageConfigFile(),
    listLocalGuests: (kinds, ids) => nodeFiles.listLocalGuests(kinds, ids),
    readGuest: (kind: GuestKind, id: number): Promise<LiveGuest | undefined> => readGuestLive(host, kind, id),
    readGuestConfig: (kind, id) => readGuestConfigLive(host, kind, id),
    async editGuestConfig(kind, id, edit, eo = {}) {
      const file = guestConfigPath(opts.pveRoot, opts.node, kind, id);
      const n = ++seq;
      log.write(`${stamp()} #${n} ${eo.step ?? '(no step)'} edit ${file}`);
      const failure = (what: string, e: unknown): Result<never, CommandFailure> => {
        const message = `cannot ${what} ${file}: ${(e as Error).message}`;
        log.write(`${stamp()} #${n} ${message}`);
        return err({ reason: 'file-error', argv: ['edit', file], stderrTail: message, message });
      };
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        return failure('read', e);
      }
      const next = edit(text);
      if (next === text) {
        log.write(`${stamp()} #${n} unchanged`);
        return ok({ changed: false });
      }
      try {
        await writeFileAtomic(file, next); // keeps the file's mode
      } catch (e) {
        return failure('write', e);
      }
      log.write(`${stamp()} #${n} written`);
      return ok({ changed: true });
    },
    withFiles: (files, fn) => withPrivateFiles(files, fn),
    async writeHostFile(file, content, mode) {
      const target = join(opts.pveRoot, file);
      const n = ++seq;
      log.write(`${stamp()} #${n} write ${target} (mode ${mode.toString(8)})`);
      try {
        const st = await stat(target).catch(() => undefined);
        if (st?.isFile() && (st.mode & 0o7777) === mode && (await readFile(target, 'utf8')) === content) {
          log.write(`${stamp()} #${n} unchanged`);
          return ok({ changed: false });
        }
        await mkdir(dirname(target), { recursive: true, mode: 0o755 });
        await writeFileAtomic(target, content, { mode });
      } catch (e) {
        const message = `cannot write ${target}: ${(e as Error).message}`;
        log.write(`${stamp()} #${n} ${message}`);
        return err({ reason: 'file-error', argv: ['write', target], stderrTail: message, message });
      }
      log.write(`${stamp()} #${n} written`);
      return ok({ changed: true });
    },
    statHostPath: (file) => statHostPath(join(opts.pveRoot, file)),
    readHostFile: (file) => readFile(join(opts.pveRoot, file), 'utf8').catch(() => undefined),
    async ensureHostDir(dir, owner) {
      const target = join(opts.pveRoot, dir);
      const n = ++seq;
      const own = owner ? ` owned by ${owner.uid}:${owner.gid}` : '';
      log.write(`${stamp()} #${n} folder ${target}${own}`);
      const failure = (message: string): Result<never, CommandFailure> => {
        log.write(`${stamp()} #${n} ${message}`);
        return err({ reason: 'file-error', argv: ['mkdir', '-p', target], stderrTail: message, message });
      };
      try {
        let info = await statHostPath(target);
        let changed = false;
        if (info === undefined) {
          await mkdir(target, { recursive: true, mode: 0o755 });
          info = await statHostPath(target);
          changed = true;
        }
        // Never through a link: a chown as root would land wherever it points.
        if (info?.kind !== 'dir')
          return failure(`${target} is ${info ? `a ${info.kind}` : 'missing'}, not a folder`);
        if (owner && (info.uid !== owner.uid || info.gid !== owner.gid)) {
          await chown(target, owner.uid, owner.gid);
          changed = true;
        }
        log.write(`${stamp()} #${n} ${changed ? 'done' : 'unchanged'}`);
        return ok({ changed });
      } catch (e) {
        return failure(`cannot make ${target}${own}: ${(e as Error).message}`);
      }
    },
    close: () => log.close(),
  };
  return host;
}

async function statHostPath(file: string): Promise<HostPathInfo | undefined> {
  const st = await lstat(file).catch(() => undefined);
  if (!st) return undefined;
  const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other';
  return { kind, uid: st.uid, gid: st.gid };
}

/** Exponential backoff with jitter (50-100% of the step), so parallel waiters do not retry in lockstep. */
function backoff(tries: number, r: LockRetryOptions): number {
  const step = Math.min(r.maxDelayMs, r.initialDelayMs * 2 ** tries);
  return Math.round(step * (0.5 + Math.random() * 0.5));
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The timeout for a command line: most specific key of `tool sub sub` first. */
export function timeoutFor(argv: Argv, table: Readonly<Record<string, number>>): number {
  const tool = basename(argv[0] ?? '');
  const words = [tool, ...argv.slice(1, 3).filter((a) => !a.startsWith('-') && !/^\d+$/.test(a))];
  for (let n = words.length; n >= 1; n--) {
    const value = table[words.slice(0, n).join(' ')];
    if (value !== undefined) return value;
  }
  return table['*'] ?? 60 * MINUTE;
}

interface Outcome {
  kind: 'exited' | 'timeout' | 'spawn-error' | 'cancelled';
  exitCode?: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  detail?: string;
  /** Set when output went over OUTPUT_LIMIT: what was cut, for the failure message. */
  limit?: string;
}

async function spawn(
  argv: Argv,
  ro: RunOptions,
  timeoutMs: number,
  baseEnv: NodeJS.ProcessEnv,
  sink: { out: StreamTail; err: StreamTail },
): Promise<Outcome> {
  const [file, ...args] = argv;
  const { execa } = await loadExeca();
  const started = Date.now();
  const child = execa(file ?? '', args, {
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 5 * SECOND,
    env: { ...baseEnv, ...ro.env },
    extendEnv: false,
    ...(ro.cwd === undefined ? {} : { cwd: ro.cwd }),
    ...(ro.signal === undefined ? {} : { cancelSignal: ro.signal }),
    ...(ro.input === undefined ? { stdin: 'ignore' as const } : { input: ro.input }),
    // Not buffered by execa (a script printing 150 MB would hold it all): streamed into bounded tails.
    buffer: false,
  });
  child.stdout?.on('data', (d: Buffer) => sink.out.push(d));
  child.stderr?.on('data', (d: Buffer) => sink.err.push(d));
  const r = await child;
  sink.out.end();
  sink.err.end();
  const truncated = [sink.out.truncated && 'stdout', sink.err.truncated && 'stderr'].filter(Boolean);
  const base = {
    stdout: sink.out.text(),
    stderr: sink.err.text(),
    durationMs: Date.now() - started,
    ...(truncated.length > 0 && {
      limit: `${truncated.join(' and ')} over the ${OUTPUT_LIMIT / 1024 / 1024} MiB output limit: only the last ${OUTPUT_LIMIT / 1024 / 1024} MiB kept (all of it is in the run log)`,
    }),
  };
  if (r.timedOut) return { ...base, kind: 'timeout' };
  if (r.isCanceled) return { ...base, kind: 'cancelled' };
  if (r.exitCode === undefined) {
    const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
    return { ...base, kind: r.signal ? 'exited' : 'spawn-error', detail: r.signal ?? code ?? r.shortMessage };
  }
  return { ...base, kind: 'exited', exitCode: r.exitCode };
}

function toResult(
  argv: Argv,
  o: Outcome,
  timeoutMs: number,
  redactor: Redactor,
): Result<CommandResult, CommandFailure> {
  if (o.kind === 'exited' && o.exitCode === 0) {
    return ok({ argv, exitCode: 0, stdout: o.stdout, stderr: o.stderr, durationMs: o.durationMs });
  }
  const command = shortCommand(redactor.argv(argv));
  const stderrTail = tail(redactor.text(o.stderr.trim() === '' ? o.stdout : o.stderr));
  const lastLine = stderrTail.split('\n').pop() ?? '';
  const failure = (reason: CommandFailure['reason'], message: string): CommandFailure => ({
    reason,
    argv: redactor.argv(argv),
    ...(o.exitCode === undefined ? {} : { exitCode: o.exitCode }),
    stderrTail,
    message,
  });
  switch (o.kind) {
    case 'timeout':
      return err(failure('timeout', `${command} timed out after ${formatMs(timeoutMs)}`));
    case 'cancelled':
      return err(failure('cancelled', `${command} was cancelled`));
    case 'spawn-error':
      return err(failure('spawn-error', spawnErrorMessage(argv[0] ?? '', o.detail)));
    case 'exited': {
      const how = o.exitCode === undefined ? `killed by ${o.detail ?? 'a signal'}` : `exit ${o.exitCode}`;
      const limit = o.limit ? ` [${o.limit}]` : '';
      return err(
        failure('exit-non-zero', `${command} failed (${how})${lastLine ? `: ${lastLine}` : ''}${limit}`),
      );
    }
  }
}

const TAIL_LINES = 15;
const TAIL_CHARS = 2000;

function tail(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  return lines.slice(-TAIL_LINES).join('\n').slice(-TAIL_CHARS);
}

function shortCommand(argv: readonly string[]): string {
  const s = formatArgv(argv);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** A Proxmox tool that is not on PATH means Phoenix is not running on a Proxmox node: say what to do. */
function spawnErrorMessage(program: string, detail: string | undefined): string {
  const name = basename(program);
  if (detail === 'ENOENT' && PROXMOX_TOOLS.has(name)) {
    return `${name} not found on PATH: run Phoenix on the Proxmox VE node, or pass --sim to use the simulator`;
  }
  if (detail === 'EACCES')
    return `could not run ${program}: it is not executable and has no #! line (chmod +x it, or start it with #!/bin/bash)`;
  return `could not run ${name}: ${detail ?? 'unknown error'}`;
}

function formatMs(ms: number): string {
  if (ms < MINUTE) return `${(ms / SECOND).toFixed(ms % SECOND === 0 ? 0 : 1)}s`;
  return `${(ms / MINUTE).toFixed(ms % MINUTE === 0 ? 0 : 1)}m`;
}

function stamp(): string {
  return `[${new Date().toISOString()}]`;
}

function writeOutcome(log: RunLog, n: number, o: Outcome): void {
  const status =
    o.kind === 'exited' ? (o.exitCode === undefined ? `killed (${o.detail})` : `exit ${o.exitCode}`) : o.kind;
  const limit = o.limit ? ` (${o.limit})` : '';
  log.write(`${stamp()} #${n} ${status} in ${(o.durationMs / SECOND).toFixed(2)}s${limit}`);
}
