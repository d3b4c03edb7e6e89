// Storage volumes: allocation names per storage type, base (template) volumes, linked clones, file paths.
import { PveError } from './errors.js';
import type { ContentType } from './simconfig.js';
import type { SimState, StorageState, VolumeState } from './state.js';

export function getStorage(state: SimState, sid: string): StorageState {
  const s = state.storages[sid];
  if (!s) throw new PveError(`storage '${sid}' does not exist`);
  return s;
}

export function isFileStorage(s: StorageState): boolean {
  return s.type === 'dir' || s.type === 'nfs';
}

export function storagePath(sid: string, s: StorageState): string {
  return s.path ?? (sid === 'local' ? '/var/lib/vz' : `/mnt/pve/${sid}`);
}

const SUBDIR: Partial<Record<ContentType, string>> = {
  vztmpl: 'template/cache',
  iso: 'template/iso',
  import: 'import',
  snippets: 'snippets',
  backup: 'dump',
  images: 'images',
  rootdir: 'images',
};

/** Whether a storage holds LVM logical volumes, whose tools print what they do. */
export function isLvm(s: StorageState | undefined): boolean {
  return s?.type === 'lvmthin' || s?.type === 'lvm';
}

/** What lvcreate prints for a volume just allocated (nothing on other storage types). */
export function lvCreated(state: SimState, volid: string): string[] {
  const [sid] = splitVolid(volid)!;
  return isLvm(state.storages[sid]) ? [`  Logical volume "${volid.split(':')[1]}" created.`] : [];
}

/** `local:vztmpl/x.tar.zst` -> ['local', 'vztmpl/x.tar.zst']. */
export function splitVolid(volid: string): [string, string] | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9\-_.]*):(.+)$/.exec(volid);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** Absolute path of a file-based volume (templates, ISOs, imports, images on dir storages). */
export function volumePath(sid: string, s: StorageState, volname: string): string | undefined {
  if (!isFileStorage(s)) return undefined;
  const m = /^(vztmpl|iso|import|snippets|backup)\/(.+)$/.exec(volname);
  if (m) return `${storagePath(sid, s)}/${SUBDIR[m[1] as ContentType]}/${m[2]}`;
  return `${storagePath(sid, s)}/images/${volname}`;
}

/** Finds the volume whose file path is `path` (so absolute paths to sim files work). */
export function findVolumeByPath(
  state: SimState,
  path: string,
): { sid: string; volname: string; vol: VolumeState } | undefined {
  for (const [sid, s] of Object.entries(state.storages)) {
    for (const [volname, vol] of Object.entries(s.volumes)) {
      if (volumePath(sid, s, volname) === path) return { sid, volname, vol };
    }
  }
  return undefined;
}

function diskIndexTaken(s: StorageState, vmid: number, n: number): boolean {
  const re = new RegExp(`(^|/)(vm|base|subvol|basevol)-${vmid}-disk-${n}(\\.|$)`);
  return Object.keys(s.volumes).some((v) => re.test(v.split('/').pop() ?? v));
}

/** Allocates a new disk volume for a guest, named like the storage plugin would. */
export function allocDisk(
  state: SimState,
  sid: string,
  vmid: number,
  content: 'images' | 'rootdir',
  size: number,
  format?: string,
): string {
  const s = getStorage(state, sid);
  let n = 0;
  while (diskIndexTaken(s, vmid, n)) n++;
  let volname: string;
  let fmt = format ?? 'raw';
  if (isFileStorage(s)) {
    volname = `${vmid}/vm-${vmid}-disk-${n}.${fmt}`;
  } else if (s.type === 'zfspool' && content === 'rootdir') {
    volname = `subvol-${vmid}-disk-${n}`;
    fmt = 'subvol';
  } else {
    volname = `vm-${vmid}-disk-${n}`;
    fmt = 'raw';
  }
  s.volumes[volname] = { format: fmt, content, size, vmid };
  return `${sid}:${volname}`;
}

export function allocCloudinit(state: SimState, sid: string, vmid: number): string {
  const s = getStorage(state, sid);
  const volname = isFileStorage(s) ? `${vmid}/vm-${vmid}-cloudinit.qcow2` : `vm-${vmid}-cloudinit`;
  s.volumes[volname] = {
    format: isFileStorage(s) ? 'qcow2' : 'raw',
    content: 'images',
    size: 4 * 1024 * 1024,
    vmid,
  };
  return `${sid}:${volname}`;
}

export function lookupVolume(state: SimState, volid: string): VolumeState | undefined {
  const sv = splitVolid(volid);
  if (!sv) return undefined;
  return state.storages[sv[0]]?.volumes[sv[1]];
}

export function freeVolume(state: SimState, volid: string): void {
  const sv = splitVolid(volid);
  if (!sv) return;
  const s = state.storages[sv[0]];
  if (s) delete s.volumes[sv[1]];
}

/** The volume name without any `base-.../` prefix of a linked clone. */
export function ownName(volname: string): string {
  if (/^\d+\/base-/.test(volname)) return volname.split('/').slice(2).join('/');
  const i = volname.indexOf('/');
  if (i > 0 && /^(base|basevol)-/.test(volname)) return volname.slice(i + 1);
  return volname;
}

/** Whether a volume is a base volume (`base-`/`basevol-`, a template's), which linked clones can be made of. */
export function isBaseVolume(volid: string): boolean {
  return /^(base|basevol)-/.test(splitVolid(volid)![1].split('/').pop() ?? '');
}

/** Storage-local name of the base volume a linked clone sits on, if any. */
export function baseOf(volname: string): string | undefined {
  const m = /^(?:\d+\/)?((?:base|basevol)-\d+-disk-\d+(?:\.\w+)?)\//.exec(volname);
  return m ? m[1] : undefined;
}

/** Renames a guest's volume to its base- form (template conversion); returns the new volid. */
export function makeBase(state: SimState, volid: string): string {
  const [sid, volname] = splitVolid(volid)!;
  const s = getStorage(state, sid);
  const vol = s.volumes[volname];
  if (!vol || /(^|\/)(base|basevol)-/.test(volname)) return volid;
  const renamed = volname.replace(/(^|\/)vm-/, '$1base-').replace(/(^|\/)subvol-/, '$1basevol-');
  delete s.volumes[volname];
  s.volumes[renamed] = vol;
  return `${sid}:${renamed}`;
}

/** Whether a volume can hold snapshots (raw files on dir storages cannot). */
export function canSnapshot(state: SimState, volid: string): boolean {
  const sv = splitVolid(volid);
  if (!sv) return true; // bind mounts are skipped
  const s = state.storages[sv[0]];
  if (!s) return false;
  if (s.type === 'lvm') return false;
  if (isFileStorage(s)) return sv[1].endsWith('.qcow2');
  return true;
}

/** Creates a linked clone of a base volume for newid; undefined when the storage cannot. */
export function linkedClone(
  state: SimState,
  baseVolid: string,
  newid: number,
  content: 'images' | 'rootdir',
): string | undefined {
  const [sid, volname] = splitVolid(baseVolid)!;
  const s = getStorage(state, sid);
  const base = s.volumes[volname];
  if (!base) return undefined;
  let n = 0;
  while (diskIndexTaken(s, newid, n)) n++;
  let newName: string;
  let fmt = base.format;
  if (isFileStorage(s)) {
    if (base.format !== 'qcow2' && content === 'rootdir') return undefined;
    fmt = 'qcow2';
    const baseId = /^(\d+)\//.exec(volname)?.[1] ?? '';
    newName = `${baseId}/${volname.split('/').pop()}/${newid}/vm-${newid}-disk-${n}.qcow2`;
  } else if (s.type === 'lvm') {
    return undefined;
  } else {
    const prefix = base.format === 'subvol' ? 'subvol' : 'vm';
    newName = `${volname}/${prefix}-${newid}-disk-${n}`;
  }
  s.volumes[newName] = { format: fmt, content, size: base.size, vmid: newid };
  return `${sid}:${newName}`;
}

/** Volume names (storage-local) of linked clones sitting on the given base volume. */
export function linkedUsers(state: SimState, baseVolid: string): string[] {
  const [sid, volname] = splitVolid(baseVolid)!;
  const s = state.storages[sid];
  if (!s) return [];
  const base = volname.split('/').pop()!;
  return Object.keys(s.volumes).filter((v) => baseOf(v) === base && v !== volname);
}
