// Proxmox tasks: a call that starts one answers its UPID; Phoenix polls the task's status on the node that ran it
// until it stops, then reads `exitstatus`: `OK` or `WARNINGS: n` is success, anything else is the error, quoted
// with the tail of the task's log. Each kind of task has its own time budget. A task is never started again
// here: once a UPID exists, a failure is the step's to report.
import { err, ok, type Result } from '../../result.js';
import { sleep as pause } from './sleep.js';
import type { ApiClient, ApiFailure } from './client.js';
import { taskLog, taskStatus } from './schemas.js';

export interface Upid {
  upid: string;
  node: string;
  /** Worker type: `vzcreate`, `qmclone`, `download`, ... */
  type: string;
  /** The worker's ID (a VMID, a file name, or empty). */
  id: string;
  /** Unix seconds. */
  starttime: number;
}

const UPID_RE =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

/** pve-common PVE/UPID.pm `decode`: `UPID:node:pid:pstart:starttime:type:id:user:`. */
export function parseUpid(upid: string): Upid | undefined {
  const m = UPID_RE.exec(upid);
  if (!m) return undefined;
  return { upid, node: m[1]!, type: m[5]!, id: m[6]!, starttime: parseInt(m[4]!, 16) };
}

const MINUTE = 60_000;

/** How long each kind of task may take (bpg's defaults are 30 min for create, clone and start). */
export const TASK_TIMEOUTS: Readonly<Record<string, number>> = {
  vzcreate: 30 * MINUTE,
  qmcreate: 30 * MINUTE,
  vzclone: 30 * MINUTE,
  qmclone: 30 * MINUTE,
  download: 60 * MINUTE,
  vzmigrate: 60 * MINUTE,
  qmigrate: 60 * MINUTE,
  vzstart: 5 * MINUTE,
  qmstart: 5 * MINUTE,
  vzstop: 5 * MINUTE,
  qmstop: 5 * MINUTE,
  hastart: 5 * MINUTE,
  hastop: 5 * MINUTE,
  vzshutdown: 10 * MINUTE,
  qmshutdown: 10 * MINUTE,
  vzdestroy: 10 * MINUTE,
  qmdestroy: 10 * MINUTE,
  vzsnapshot: 10 * MINUTE,
  qmsnapshot: 10 * MINUTE,
  vzdelsnapshot: 10 * MINUTE,
  qmdelsnapshot: 10 * MINUTE,
  vztemplate: 10 * MINUTE,
  qmtemplate: 10 * MINUTE,
  resize: 10 * MINUTE,
  qmconfig: 10 * MINUTE,
};

export const DEFAULT_TASK_TIMEOUT = 30 * MINUTE;

export interface TaskResult {
  upid: Upid;
  exitstatus: string;
  /** `WARNINGS: n`: the task did its work but printed warnings (quoted from its log). */
  warnings?: string[];
}

export type TaskFailure =
  | { kind: 'failed'; upid: Upid; exitstatus: string; logTail: string[] }
  | { kind: 'timeout'; upid: Upid; afterMs: number }
  | { kind: 'api'; upid: Upid; failure: ApiFailure };

export interface WaitOptions {
  /** Overrides the task type's budget. */
  timeoutMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  /** How many log lines a failure quotes (default 10). */
  tailLines?: number;
}

/**
 * Pause before the n-th status poll: quick at first (most tasks take well under a second), every 0.5 s for the
 * next ~10 s (a status read is cheap: pvedaemon reads one file), then every 2 s.
 */
export function pollDelay(n: number): number {
  return n < 3 ? 50 * 2 ** n : n < 23 ? 500 : 2_000;
}

/** How a poll ended when `attempt` gave no answer: out of budget (after `afterMs`), or cancelled by the signal. */
export type PollEnd = { kind: 'timeout'; afterMs: number } | { kind: 'cancelled' };

/**
 * Calls `attempt(n)` with pollDelay pauses until it answers (anything but undefined), the next pause would go past
 * `budgetMs`, or the signal stops a pause. The one poll loop of the API transport: tasks, templates, agent commands.
 */
export async function poll<T>(
  attempt: (n: number) => Promise<T | undefined>,
  o: { budgetMs: number; signal?: AbortSignal | undefined; sleep?: WaitOptions['sleep'] },
): Promise<{ done: T } | PollEnd> {
  const sleep = o.sleep ?? pause;
  const began = Date.now();
  for (let n = 0; ; n++) {
    const answer = await attempt(n);
    if (answer !== undefined) return { done: answer };
    const delay = pollDelay(n);
    if (Date.now() - began + delay > o.budgetMs) return { kind: 'timeout', afterMs: Date.now() - began };
    if (!(await sleep(delay, o.signal))) return { kind: 'cancelled' };
  }
}

const encode = (upid: string): string => encodeURIComponent(upid);

/** Polls the task until it stops, then judges its exit status. */
export async function waitForTask(
  client: ApiClient,
  upid: Upid,
  opts: WaitOptions = {},
): Promise<Result<TaskResult, TaskFailure>> {
  const budget = opts.timeoutMs ?? TASK_TIMEOUTS[upid.type] ?? DEFAULT_TASK_TIMEOUT;
  const base = `/nodes/${encodeURIComponent(upid.node)}/tasks/${encode(upid.upid)}`;
  const end = await poll<Result<TaskResult, TaskFailure>>(
    async (n) => {
      const status = await client.read(`${base}/status`, taskStatus, undefined, {
        ...(opts.signal && { signal: opts.signal }),
      });
      if (!status.ok) {
        // Right after the fork the log may not be visible on another node yet (bpg retries "no such task").
        if (status.error.kind === 'http' && status.error.status === 400 && n < 5) return undefined;
        return err({ kind: 'api', upid, failure: status.error });
      }
      if (status.value.status === 'running') return undefined;
      const exitstatus = status.value.exitstatus ?? 'unexpected status';
      if (exitstatus === 'OK') return ok({ upid, exitstatus });
      if (/^WARNINGS: \d+$/.test(exitstatus)) {
        const log = await readLogTail(client, base, 50);
        return ok({ upid, exitstatus, warnings: log.filter((l) => /WARN/.test(l)) });
      }
      return err({
        kind: 'failed',
        upid,
        exitstatus,
        logTail: await readLogTail(client, base, opts.tailLines ?? 10),
      });
    },
    { budgetMs: budget, signal: opts.signal, ...(opts.sleep && { sleep: opts.sleep }) },
  );
  if ('done' in end) return end.done;
  if (end.kind === 'timeout') return err({ kind: 'timeout', upid, afterMs: end.afterMs });
  return err({ kind: 'api', upid, failure: { kind: 'cancelled', message: 'cancelled' } });
}

/** The last `lines` lines of a task's log (the whole log is read: `limit=0`; task logs are short). */
async function readLogTail(client: ApiClient, base: string, lines: number): Promise<string[]> {
  const log = await client.read(`${base}/log`, taskLog, { start: 0, limit: 0 });
  if (!log.ok) return [`(the task log could not be read: ${log.error.message})`];
  return log.value
    .map((l) => l.t)
    .filter((t) => t !== 'no content' && !/^TASK (?:OK|ERROR|WARNINGS)/.test(t))
    .slice(-lines);
}

/** One line for people: what the task was and how it ended. */
export function taskFailureMessage(f: TaskFailure): string {
  const what = `task ${f.upid.type}${f.upid.id ? ` ${f.upid.id}` : ''} on ${f.upid.node}`;
  switch (f.kind) {
    case 'failed':
      return `${what} failed: ${f.exitstatus}`;
    case 'timeout':
      return `${what} still running after ${Math.round(f.afterMs / 1000)}s; it was not stopped (see ${f.upid.upid})`;
    case 'api':
      return `${what}: its status could not be read: ${f.failure.message}`;
  }
}
