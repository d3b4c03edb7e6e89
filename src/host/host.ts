// The host as the steps see it. Only src/host/exec.ts spawns processes; everything else talks to this interface,
// so the real node, the simulator and a fake in a unit test are interchangeable.
import type { GuestKind } from '../config/model.js';
import type { Result } from '../result.js';
import type { Argv } from './argv.js';
import type { HostPathInfo, LiveGuest } from './live.js';
export type { HostPathInfo };
import type { TempFiles } from './temp-files.js';

export interface RunOptions {
  /** Per-command timeout; the backend has a default per tool. */
  timeoutMs?: number;
  /** Text fed to stdin. */
  input?: string;
  /** Extra environment for scripts. */
  env?: Record<string, string>;
  /** Working directory for scripts. */
  cwd?: string;
  /** Cancels the command (Ctrl-C): it is killed and the result is a `cancelled` failure. */
  signal?: AbortSignal;
  /** Receives each line of stdout and stderr as it arrives (for `--verbose`); the result still holds all of it. */
  onOutput?: (line: string) => void;
  /** The step the command runs for (`950:configure`): named on its line in the run log. */
  step?: string;
  /** Told each command line as it starts (secret values masked, as in the log): `--json` lists a step's commands. */
  onCommand?: (argv: string[]) => void;
}

export interface CommandResult {
  argv: Argv;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CommandFailure {
  reason: 'exit-non-zero' | 'timeout' | 'spawn-error' | 'cancelled' | 'verify-failed' | 'file-error';
  argv: Argv;
  exitCode?: number;
  /** Last lines of stderr (redacted), for the message people read. */
  stderrTail: string;
  /** One line for people: what failed and how. */
  message: string;
}

/**
 * A guest as its config file shows it: existence, config, snapshots, template flag, lock and incarnation, but no
 * run state. `status` is left out of the type on purpose, so code that needs it has to call `readGuest`.
 */
export type GuestConfigView = Omit<LiveGuest, 'status'>;

export interface HostExec {
  /** Name of the Proxmox node (`pve`). */
  readonly node: string;
  /** Run one command (argv[0] is pct/qm/pvesm/pveam/pvesh or a script path); lock contention is retried. */
  run(argv: Argv, opts?: RunOptions): Promise<Result<CommandResult, CommandFailure>>;
  /** Read one guest's live state again (after acting, to verify). Undefined when it does not exist. */
  readGuest(kind: GuestKind, id: number): Promise<LiveGuest | undefined>;
  /**
   * Like readGuest without the run state: on the node itself no process at all (the config file is read); off
   * the node `pct|qm config` + `listsnapshot`. For checks and read-backs that do not depend on running/stopped.
   */
  readGuestConfig(kind: GuestKind, id: number): Promise<GuestConfigView | undefined>;
  /**
   * Edit a guest's config file in place, for what Proxmox has no command for (raw `lxc.*` lines; it edits the file
   * the same way, write then rename). `edit` maps the text to the new text; nothing is written when it is the
   * same. Logged like a command. A missing or unwritable file is a `file-error` failure.
   */
  editGuestConfig(
    kind: GuestKind,
    id: number,
    edit: (text: string) => string,
    opts?: Pick<RunOptions, 'step'>,
  ): Promise<Result<{ changed: boolean }, CommandFailure>>;
  /**
   * Runs `fn` with `files` (name -> content) in a private folder on the host (0700, files 0600), removed afterwards
   * whatever happened: for commands that take a file path, such as `qm set --sshkeys FILE` or `pct push`.
   */
  withFiles<T>(files: TempFiles, fn: (dir: string) => Promise<T>): Promise<T>;
  /**
   * Write a file on the node that no Proxmox command writes (an AppArmor profile into /etc/apparmor.d, a cloud-init
   * snippet into a storage's snippets folder): written then renamed, with `mode`, its folder made when missing.
   * Under the simulator the path is inside the simulator's folder. Logged like a command; nothing is written when
   * the file already holds `content` (and has `mode`).
   */
  writeHostFile(
    file: string,
    content: string,
    mode: number,
  ): Promise<Result<{ changed: boolean }, CommandFailure>>;
  /**
   * A cluster (the api transport): this host as one guest's steps see it, so commands that name no guest (pvesm,
   * pveam, pvesh, scripts) go to that guest's node. One node's CLI has no such method: every command runs there.
   */
  forGuest?(id: number): HostExec;
  /** A cluster: the host a hypervisor setup step runs on (every node in turn). */
  forHostSetup?(): HostExec;
  /** A cluster: the lane a command of a guest's step takes and why (`api POST /nodes/pve2/lxc`, `ssh root@pve2: ...`). */
  laneOf?(argv: Argv, guest?: number): string;
  /** A cluster: why a command of a guest's step cannot be done there (checked before a run starts), if it cannot. */
  refusalOf?(argv: Argv, guest?: number): string | undefined;
  /**
   * A cluster: its run lock, shared by every machine that drives it (src/host/api/cluster-lock.ts). Held by another
   * run: the message (exit 3), or with `wait` after it is free.
   */
  clusterLock?(opts: {
    command: string;
    wait: boolean;
    signal?: AbortSignal;
  }): Promise<Result<{ release(): Promise<void>; warning?: string }, string>>;
  /** A text file on the host (under the simulator: inside its folder); undefined when missing. No process. */
  readHostFile(file: string): Promise<string | undefined>;
  /** The host path (under the simulator: inside its folder), or undefined when it does not exist. No process. */
  statHostPath(file: string): Promise<HostPathInfo | undefined>;
  /**
   * Makes a host folder (and its parents) when it is missing and, with `owner`, gives the folder itself (not what
   * it holds) that owner. Refuses a path that is a symbolic link or not a folder. Logged like a command.
   */
  ensureHostDir(
    dir: string,
    owner?: { uid: number; gid: number },
  ): Promise<Result<{ changed: boolean }, CommandFailure>>;
}
