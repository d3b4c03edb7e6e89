// The node's storages and what each holds: `/etc/pve/storage.cfg` read directly on the node (no process), else
// `pvesh get /storage` (off the node). The preflight checks content types with it before anything runs.
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import { parsePveshJson, parseStorageCfg, storagesFromPveshJson, type StorageInfo } from './conf.js';
import type { CommandFailure, HostExec } from './host.js';
import type { ConfigFileReader } from './read-live.js';

export type { StorageInfo };

export async function readStorages(
  host: HostExec & Partial<ConfigFileReader>,
): Promise<Result<StorageInfo[], CommandFailure>> {
  const file = await host.readStorageConfigFile?.();
  if (file?.state === 'found') return ok(parseStorageCfg(file.text));
  const argv = ['pvesh', 'get', '/storage', '--output-format', 'json'];
  const res = await host.run(argv);
  if (!res.ok) return res;
  const json = parsePveshJson(res.value.stdout);
  if (!json.ok) {
    const message = `pvesh get /storage printed no JSON: ${json.error}`;
    return err({ reason: 'exit-non-zero', argv, stderrTail: '', message });
  }
  return ok(storagesFromPveshJson(json.value));
}
