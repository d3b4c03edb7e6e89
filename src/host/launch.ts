// How a command line becomes the program Phoenix starts. Steps (and the log, and `plan`) speak in the command lines
// the original orchestrator used (`script.sh 950`); two things may stand between that line and the process:
// - a script stored without its run bit (git keeps most of the user's at mode 644) runs through the interpreter
//   its `#!` line names, as the kernel would run it if the bit were set;
// - under --sim, anything but the simulated Proxmox tools is handed to the simulator's stand-in, which records it
//   in calls.jsonl and runs nothing, unless the fleet says its own scripts are safe to run there.
import type { Argv } from './argv.js';

/** The Proxmox tools; under --sim they are the simulator's (first on PATH). */
export const PROXMOX_TOOLS: ReadonlySet<string> = new Set(['pct', 'qm', 'pvesm', 'pveam', 'pvesh']);

export interface LaunchPolicy {
  /** Scripts without their run bit, by path: the interpreter (and its one optional argument) of their `#!` line. */
  interpreters: ReadonlyMap<string, readonly string[]>;
  /** Scripts that must never run on the host (VM feature scripts: they install software inside a VM). */
  forbidden: ReadonlySet<string>;
  /** Under --sim: the stand-in program, and the fleet's scripts when they may really run. */
  sim?: { standIn: string; runnable: ReadonlySet<string> };
}

export type Launch = { ok: true; argv: Argv } | { ok: false; reason: string };

/** The argv to start for a command line (the same line when nothing stands between), or why it must not start. */
export function launchArgv(argv: Argv, policy: LaunchPolicy): Launch {
  const [program = '', ...args] = argv;
  if (policy.forbidden.has(program))
    return {
      ok: false,
      reason: `${program} is a VM feature script: it runs inside its VM, never on the host`,
    };
  if (PROXMOX_TOOLS.has(program)) return { ok: true, argv };
  if (policy.sim && !policy.sim.runnable.has(program))
    return { ok: true, argv: [policy.sim.standIn, ...argv] };
  const interpreter = policy.interpreters.get(program);
  return { ok: true, argv: interpreter === undefined ? argv : [...interpreter, program, ...args] };
}

/** Nothing between a command line and its process (tests, and hosts built without a fleet). */
export const DIRECT_LAUNCH: LaunchPolicy = { interpreters: new Map(), forbidden: new Set() };

/**
 * The interpreter a script's first line names, split as Linux splits it: the program, then everything after it
 * (trimmed) as one argument. Undefined when the file does not start with `#!`.
 */
export function shebang(firstLine: string): string[] | undefined {
  if (!firstLine.startsWith('#!')) return undefined;
  const line = firstLine.slice(2).trim();
  const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
  if (!m?.[1]) return undefined;
  const arg = m[2]?.trim();
  return arg ? [m[1], arg] : [m[1]];
}
