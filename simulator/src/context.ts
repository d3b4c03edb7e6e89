// What a command handler gets: parsed config, state access, output, latency, and the task runner.
import { bootMounts } from './guest-mounts.js';
import { PveError } from './errors.js';
import type { CmdSpec, Parsed } from './getopt.js';
import { write } from './output.js';
import { latencyMs, type LatencyKey, type SimConfig } from './simconfig.js';
import { clusterOf, readState, transact, type GuestState, type SimState } from './state.js';

/** Sleeps ms (a plain timer: node:timers/promises is one more module to load on every call). */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface TaskFault {
  stderr: string;
  exit?: number;
}

export class Ctx {
  /** Set by a fault rule with `phase: "task"`; thrown by the first task the command runs. */
  taskFault: TaskFault | undefined;
  constructor(
    readonly tool: string,
    readonly argv: string[],
    readonly dir: string,
    readonly cfg: SimConfig,
    /** The node the command runs on (undefined: the cluster's first node). */
    readonly node?: string,
  ) {}

  out(text: string): void {
    write(1, text);
  }
  err(text: string): void {
    write(2, text);
  }
  now(): number {
    return Date.now();
  }
  /** The state as this command's node sees it. */
  read(): SimState {
    return readState(this.dir, this.cfg, this.node);
  }
  /** A transaction on this command's node's view. */
  tx<T>(fn: (s: SimState) => T): Promise<T> {
    return transact(this.dir, this.cfg, fn, this.node);
  }
  async sleep(key: LatencyKey): Promise<void> {
    const ms = latencyMs(this.cfg, key);
    if (ms > 0) await delay(ms);
  }
  async sleepMs(ms: number): Promise<void> {
    if (ms > 0) await delay(ms * this.cfg.latencyScale);
  }

  /**
   * Runs a worker task in the foreground like CLI mode does. A failure prints its text (newlines folded) on
   * stderr; checked tasks exit 255, unchecked ones (pct resize/push/template, qm resize/template, pveam
   * download) exit 0.
   */
  async task(checked: boolean, body: () => Promise<void>, onFail?: () => Promise<void>): Promise<number> {
    try {
      const f = this.taskFault;
      if (f) {
        this.taskFault = undefined;
        throw new PveError(f.stderr, f.exit ?? 255);
      }
      await body();
      return 0;
    } catch (e) {
      if (!(e instanceof PveError)) throw e;
      if (onFail) await onFail();
      this.err(e.message.replace(/\n+$/, '').replace(/\n/g, ' ') + '\n');
      // Behind the simulated API the task's exitstatus tells the failure, whatever the CLI would exit with.
      return checked || process.env.PHOENIX_SIM_VIA === 'api' ? 255 : 0;
    }
  }
}

export interface Command {
  spec: CmdSpec;
  /** Whether the command runs a task (in-task faults only make sense there). */
  task?: boolean;
  /** Skip the generic parser (pvesh: options depend on the API path). */
  rawArgs?: boolean;
  run(ctx: Ctx, p: Parsed): Promise<number | void> | number | void;
}

export type Registry = { [name: string]: Command | Registry };

export function isCommand(x: Command | Registry): x is Command {
  return typeof (x as Command).run === 'function';
}

export function guestWord(type: 'lxc' | 'qemu'): 'CT' | 'VM' {
  return type === 'lxc' ? 'CT' : 'VM';
}

export function confRel(node: string, type: 'lxc' | 'qemu', vmid: number | string): string {
  return `nodes/${node}/${type === 'lxc' ? 'lxc' : 'qemu-server'}/${vmid}.conf`;
}

/** What load_config dies with when the guest has no config of that type. */
export function guestNotFound(
  s: SimState,
  type: 'lxc' | 'qemu',
  vmid: number | string,
  exit = 255,
): PveError {
  return new PveError(`Configuration file '${confRel(s.node, type, vmid)}' does not exist`, exit);
}

/** Loads a guest of the given type or dies like load_config does. */
export function loadGuest(s: SimState, type: 'lxc' | 'qemu', vmid: number | string, exit = 255): GuestState {
  const g = s.guests[String(vmid)];
  if (!g || g.type !== type) throw guestNotFound(s, type, vmid, exit);
  return g;
}

/** The guest of that id anywhere in the cluster (VMIDs are unique across it: pmxcfs' vmlist). */
export function clusterGuest(s: SimState, id: number | string): GuestState | undefined {
  return clusterOf(s).guests[String(id)];
}

/** Dies when another guest (CT or VM) on any node already owns the id (PVE::Cluster::check_vmid_unused). */
export function checkUnused(s: SimState, id: string): void {
  const g = clusterGuest(s, id);
  if (g) throw new PveError(`${guestWord(g.type)} ${id} already exists on node '${g.node ?? s.node}'`);
}

export function checkLock(g: GuestState): void {
  const lock = g.config.lock;
  if (lock) throw new PveError(`${guestWord(g.type)} is locked (${lock})`);
}

/** The config as `pct config`/`qm config` see it: pending values merged unless `current`. */
export function effectiveConfig(g: GuestState, current = false): Record<string, string> {
  if (current) return { ...g.config };
  const c = { ...g.config, ...g.pending };
  for (const k of g.pendingDelete) delete c[k];
  return c;
}

export function setStatus(g: GuestState, status: 'running' | 'stopped', now: number, pid?: number): void {
  g.status = status;
  if (status === 'running') {
    g.startedAt = now;
    g.pid = pid;
  } else {
    delete g.startedAt;
    delete g.pid;
  }
  if (g.type === 'qemu') bootMounts(g, status === 'running');
  g.statusLog.push({ t: now, status });
  if (g.statusLog.length > 8) g.statusLog.splice(0, g.statusLog.length - 8);
}

export function newGuest(vmid: number, type: 'lxc' | 'qemu', now: number, listVersion: number): GuestState {
  return {
    vmid,
    type,
    config: {},
    lxc: [],
    pending: {},
    pendingDelete: [],
    snapshots: {},
    status: 'stopped',
    createdAt: now,
    statusLog: [{ t: now, status: 'stopped' }],
    execs: [],
    pushes: [],
    files: {},
    listVersion,
  };
}
