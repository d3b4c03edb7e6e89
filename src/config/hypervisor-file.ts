// For phoenix.config.* fleets the hypervisor setup scripts still get a JSON file (`--config FILE`), as they did
// with phoenix_hypervisor_config.json: the parsed hypervisor section plus globals. Loading a config only names the
// file; a run writes it just before it executes steps (ensureHypervisorJson), so validate, plan, why and status
// never write beside the config.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { ensurePrivateDir, writePrivateFile } from '../private-files.js';
import path from 'node:path';
import { configCacheDir, userConfigCacheDir } from './cache-dirs.js';
import type { Fleet } from './model.js';
import stringify from 'safe-stable-stringify';

const FILE_NAME = 'phoenix_hypervisor_config.json';

/** Where a phoenix.config.* fleet's hypervisor JSON goes: beside the config, with its other cached files. */
export function hypervisorJsonPath(configFile: string): string {
  return path.join(configCacheDir(path.dirname(configFile)), FILE_NAME);
}

/**
 * Writes the hypervisor JSON of a fleet that generates one, when it is missing or differs; what went wrong, when it
 * could be written nowhere. A read-only config folder falls back to the user's own cache folder (private: the file
 * may hold secrets the scripts need), and the fleet then names that file. A legacy fleet's file is the user's own
 * and is never written.
 */
export async function ensureHypervisorJson(fleet: Fleet): Promise<string | undefined> {
  if (fleet.generatedHypervisorConfig !== true) return undefined;
  const text = `${stringify({ ...fleet.globals, ...fleet.hypervisor }, null, 2) ?? '{}'}\n`;
  const own = userConfigCacheDir();
  let lastError: unknown;
  for (const file of [
    fleet.hypervisorConfigFile,
    ...(own === undefined ? [] : [path.join(own, FILE_NAME)]),
  ]) {
    try {
      ensurePrivateDir(path.dirname(file));
      if (
        !existsSync(file) ||
        readFileSync(file, 'utf8') !== text ||
        (lstatSync(file).mode & 0o777) !== 0o600
      )
        await writePrivateFile(file, text);
      fleet.hypervisorConfigFile = file;
      return undefined;
    } catch (e) {
      lastError = e;
    }
  }
  return (
    `cannot write the hypervisor settings the host scripts read (${FILE_NAME}): ` +
    `${lastError instanceof Error ? lastError.message : String(lastError)}; make the config folder's ` +
    `.phoenixcache writable, or run with your own HOME`
  );
}
