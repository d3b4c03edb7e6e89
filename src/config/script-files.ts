// The scripts a fleet runs, read once per load: their content hashes go into the step fingerprints and whether
// each exists into the warnings. Read here, when the config loads, so that planning reads no file.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
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
  const paths = new Set<string>(fleet.hostSteps.map((s) => s.path));
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
  }
  return [...paths];
}

/** `path -> sha256 of its bytes`, or MISSING_SCRIPT, for every script of the fleet. */
export function readScripts(
  fleet: Fleet,
  read: (file: string) => Uint8Array = readFileSync,
): Map<string, string> {
  return new Map(scriptPaths(fleet).map((file) => [file, hashFile(file, read)]));
}

function hashFile(file: string, read: (file: string) => Uint8Array): string {
  try {
    return createHash('sha256').update(read(file)).digest('hex');
  } catch {
    return MISSING_SCRIPT;
  }
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
