// The Proxmox storages a hypervisor config declares: one per ZFS dataset, as the user's ZFS setup script
// (hypervisor_feature_setup_zfs.sh, add_proxmox_storage) adds them. A fresh simulated node for the config gets
// these, so what the setup script would have made exists before the guests are built.
import { isPlainObject } from './raw-source.js';

export interface DeclaredStorage {
  type: 'zfspool' | 'dir';
  content: string[];
  /** A dir storage's folder: the dataset's mount point, `/<pool>/<dataset>`. */
  path?: string;
}

/**
 * The storage ID the script gives a dataset: `proxmox_storage_ids[<pool>_<dataset with - as _>]` when the config
 * maps it, else `<pool>-<dataset>`.
 */
export function datasetStorageId(pool: string, dataset: string, ids: Record<string, unknown>): string {
  const mapped = ids[`${pool}_${dataset.replaceAll('-', '_')}`];
  return typeof mapped === 'string' && mapped !== '' ? mapped : `${pool}-${dataset}`;
}

/** Storage ID -> its type, content and (dir) path, for every dataset of `zfs.datasets` the script would add. */
export function declaredStorages(hypervisor: Record<string, unknown>): Record<string, DeclaredStorage> {
  const zfs = hypervisor.zfs;
  const datasets = isPlainObject(zfs) && Array.isArray(zfs.datasets) ? zfs.datasets : [];
  const ids = isPlainObject(hypervisor.proxmox_storage_ids) ? hypervisor.proxmox_storage_ids : {};
  const out: Record<string, DeclaredStorage> = {};
  for (const d of datasets) {
    if (!isPlainObject(d) || typeof d.name !== 'string' || typeof d.pool !== 'string') continue;
    const type = d.proxmox_storage_type;
    if (type !== 'zfspool' && type !== 'dir') continue; // the script skips other types
    const content =
      typeof d.proxmox_content_type === 'string'
        ? d.proxmox_content_type
            .split(',')
            .map((c) => c.trim())
            .filter((c) => c !== '' && c !== 'none')
        : [];
    const id = datasetStorageId(d.pool, d.name, ids);
    out[id] = type === 'dir' ? { type, content, path: `/${d.pool}/${d.name}` } : { type, content };
  }
  return out;
}
