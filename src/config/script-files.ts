// The scripts a fleet runs, read once per load: their content hashes go into the step fingerprints and whether
// each exists into the warnings. Read here, when the config loads, so that planning reads no file.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { shebang } from '../host/launch.js';
import type { Fleet, LxcGuest } from './model.js';

/** The hash of a script that does not exist (or cannot be read). */
export const MISSING_SCRIPT = 'missing';

/** The helper library the original's application scripts source, pushed beside them when it exists. */
export const COMMON_UTILS = 'phoenix_hypervisor_common_utils.sh';

/** Where an application script's common utilities would be: beside it. */
export function commonUtilsBeside(g: LxcGuest): string | undefined {
  const app = g.scripts.application;
  return app === undefined ? undefined : path.join(path.dirname(app), COMMON_UTILS);
}

/** Every script file the fleet's steps may run or push. */
export function scriptPaths(fleet: Fleet): string[] {
  const paths = new Set<string>(fleet.hostSteps.flatMap((s) => (s.own ? [] : [s.path])));
  paths.add(fleet.guestTestRunner).add(fleet.hypervisorTestRunner);
  for (const g of fleet.guests.values()) {
    for (const f of g.scripts.features) paths.add(f.path);
    if (g.scripts.application !== undefined) paths.add(g.scripts.application);
    if (g.kind === 'lxc') {
      const utils = commonUtilsBeside(g);
      if (utils !== undefined) paths.add(utils);
    }
    if (g.scripts.healthCheck !== undefined) paths.add(g.scripts.healthCheck);
    for (const cases of Object.values(g.scripts.tests)) for (const c of cases) paths.add(c.path);
    for (const file of [
      g.scripts.portainer,
      g.scripts.nvidiaCheck,
      g.scripts.apparmorProfile,
      g.scripts.userDataTemplate,
      ...(g.scripts.applicationFiles ?? []),
    ])
      if (file !== undefined) paths.add(file);
  }
  return [...paths];
}

/** `path -> sha256 of its bytes`, or MISSING_SCRIPT, for every script of the fleet. */
export function readScripts(
  fleet: Fleet,
  read: (file: string) => Uint8Array = readFileSync,
): Map<string, string> {
  return readScriptFacts(fleet, read).hashes;
}

/** What loading learns of the fleet's scripts: their hashes, and the globals each names (see globalsReadBy). */
export interface ScriptFacts {
  hashes: Map<string, string>;
  globals: Map<string, string[]>;
}

/** Reads every script of the fleet once: its hash, and which of the fleet's globals its text names. */
export function readScriptFacts(
  fleet: Fleet,
  read: (file: string) => Uint8Array = readFileSync,
): ScriptFacts {
  const keys = Object.keys(fleet.globals ?? {});
  const hashes = new Map<string, string>();
  const globals = new Map<string, string[]>();
  for (const file of scriptPaths(fleet)) {
    let bytes: Uint8Array;
    try {
      bytes = read(file);
    } catch {
      hashes.set(file, MISSING_SCRIPT);
      continue;
    }
    hashes.set(file, createHash('sha256').update(bytes).digest('hex'));
    if (keys.length === 0) continue;
    const text = Buffer.from(bytes).toString('utf8');
    globals.set(
      file,
      keys.filter((k) => text.includes(k)),
    );
  }
  return { hashes, globals };
}

/**
 * The fleet's globals a step's scripts read: those whose key the script's text names (`jq -r .nvidia_driver_version`),
 * so changing a global re-runs only the steps whose scripts name it. A script that reads a global some other way
 * (a key built at run time, a helper file it sources) is not seen: name the key in the script.
 */
export function globalsReadBy(fleet: Fleet, scripts: readonly string[]): Record<string, unknown> {
  const all = fleet.globals ?? {};
  if (Object.keys(all).length === 0) return {};
  // A fleet made without loadFleet (tests) has not had its scripts read: every global counts, as it would have
  // before, rather than reading files while planning.
  const named = fleet.scriptGlobals;
  if (named === undefined) return all;
  const keys = new Set(scripts.flatMap((s) => named.get(s) ?? []));
  return Object.fromEntries(Object.entries(all).filter(([k]) => keys.has(k)));
}

/**
 * The content hash of each of the fleet's scripts, as read at load. A path the loader did not read is a bug (a
 * step table runs a script scriptPaths does not list), so it throws rather than reading the file now.
 */
export function scriptHasher(fleet: Fleet): (file: string) => string {
  const hashes = fleet.scriptHashes ?? readScripts(fleet); // a fleet made without loadFleet (tests) is read once here
  return (file) => {
    const hash = hashes.get(file);
    if (hash === undefined)
      throw new Error(`script ${file} was not read with the config (scriptPaths misses it)`);
    return hash;
  };
}

/** How the fleet's scripts stored without their run bit are started (read at load, with the hashes). */
export interface ScriptModes {
  /** Path -> the interpreter its `#!` line names, for scripts without the run bit. */
  interpreters: Map<string, string[]>;
  /** Scripts with neither the run bit nor a `#!` line: they cannot be run as they are. */
  unrunnable: Set<string>;
}

/** Reads the mode of every existing script of the fleet, and the first line of those without the run bit. */
export function readScriptModes(fleet: Fleet): ScriptModes {
  const modes: ScriptModes = { interpreters: new Map(), unrunnable: new Set() };
  for (const file of scriptPaths(fleet)) {
    let mode: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      mode = st.mode;
    } catch {
      continue; // missing: a warning of its own
    }
    if ((mode & 0o111) !== 0) continue;
    const interpreter = shebang(firstLine(file));
    if (interpreter === undefined) modes.unrunnable.add(file);
    else modes.interpreters.set(file, interpreter);
  }
  return modes;
}

function firstLine(file: string): string {
  const buf = Buffer.alloc(512);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0] ?? '';
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
