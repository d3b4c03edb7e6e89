// For phoenix.config.* fleets the hypervisor setup scripts still get a JSON file (`--config FILE`), as they did
// with phoenix_hypervisor_config.json: the parsed hypervisor section plus globals, written next to the config.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './model.js';

export async function writeHypervisorJson(configFile: string, fleet: Fleet): Promise<string> {
  const { default: stringify } = await import('safe-stable-stringify');
  const dir = path.join(path.dirname(configFile), '.phoenixcache', 'config');
  const file = path.join(dir, 'phoenix_hypervisor_config.json');
  const text = `${stringify({ ...fleet.globals, ...fleet.hypervisor }, null, 2) ?? '{}'}\n`;
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return file;
  try {
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, text);
    return file;
  } catch {
    return configFile; // read-only folder: scripts get the config file itself
  }
}
