// qm's drives (`ide|sata|scsi|virtioN`): `SID:N` allocation, `SID:cloudinit`, `import-from=`, and the default
// boot order.
import { statSync } from 'node:fs';
import { ParamError, PveError } from '../errors.js';
import { driveFormat, formatSize, GiB, parsePropString, printPropString } from '../props.js';
import type { SimState } from '../state.js';
import {
  allocCloudinit,
  allocDisk,
  findVolumeByPath,
  getStorage,
  lookupVolume,
  lvCreated,
} from '../storage.js';
import { DRIVE_COUNTS } from './options.js';

export function checkImagesStorage(s: SimState, sid: string, param: string): void {
  const st = getStorage(s, sid);
  if (!st.content.includes('images'))
    throw new ParamError({ [param]: `storage '${sid}' does not support vm images` });
}

/**
 * qemu-server `src/PVE/API2/Qemu.pm` `$check_drive_param`: with `import-from`, the drive must be a new disk of size
 * 0 (`<storage>:0`); anything else is a parameter error. The source, when a volume, must be of type `images` or
 * `import` (`$check_storage_access`): `local:iso/x.img` cannot be imported.
 */
export function checkImport(key: string, value: string): void {
  const importFrom = /(?:^|,)import-from=([^,]+)/.exec(value)?.[1];
  if (importFrom === undefined) return;
  const file = value.split(',')[0] ?? '';
  const m = /^(?:[^/:\s]+:)?(\d+(?:\.\d+)?)$/.exec(file);
  if (!m || Number(m[1]) !== 0) {
    throw new ParamError({
      [key]: "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>",
    });
  }
  const vtype = /^[^/:\s]+:([a-z]+)\//.exec(importFrom)?.[1];
  if (!importFrom.startsWith('/') && vtype !== undefined && vtype !== 'import' && vtype !== 'images')
    throw new PveError(`${importFrom} has wrong type '${vtype}' - needs to be 'images' or 'import'`);
}

/** The byte size of an import source (sim volume or a real file); undefined when it does not exist. */
export function importSource(s: SimState, src: string): { size: number; guestAgent?: boolean } | undefined {
  if (src.startsWith('/')) {
    const v = findVolumeByPath(s, src);
    if (v)
      return {
        size: v.vol.size,
        ...(v.vol.guestAgent === undefined ? {} : { guestAgent: v.vol.guestAgent }),
      };
    try {
      const st = statSync(src);
      return st.isFile() ? { size: Math.max(st.size, 1024 * 1024) } : undefined;
    } catch {
      return undefined;
    }
  }
  const v = lookupVolume(s, src);
  return v
    ? { size: v.size, ...(v.guestAgent === undefined ? {} : { guestAgent: v.guestAgent }) }
    : undefined;
}

export function roundMiB(bytes: number): number {
  return Math.ceil(bytes / 1048576) * 1048576;
}

/** Allocates/attaches one drive of `qm create`/`qm set`; returns the config value. */
export function setupDrive(s: SimState, id: number, key: string, value: string, out: string[]): string {
  const r = parsePropString(driveFormat, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  checkImport(key, value);
  const map = { ...r.map };
  const file = map.file!;
  const importFrom = map['import-from'];
  delete map['import-from'];
  const cloud = /^([a-zA-Z][\w\-.]*):cloudinit$/.exec(file);
  const alloc = /^([a-zA-Z][\w\-.]*):(\d+(?:\.\d+)?)$/.exec(file);
  if (cloud) {
    checkImagesStorage(s, cloud[1]!, key);
    map.file = allocCloudinit(s, cloud[1]!, id);
    map.media = 'cdrom';
    out.push(`${key}: successfully created disk '${map.file},media=cdrom'`);
    return printPropString(driveFormat, map);
  }
  if (alloc) {
    const sid = alloc[1]!;
    checkImagesStorage(s, sid, key);
    let size = Math.round(Number(alloc[2]) * GiB);
    if (importFrom !== undefined) {
      const src = importSource(s, importFrom);
      if (!src)
        throw new PveError(
          importFrom.startsWith('/')
            ? `no such file '${importFrom}'`
            : `volume '${importFrom}' does not exist`,
        );
      size = roundMiB(src.size);
      const g = s.guests[id];
      if (g && src.guestAgent === false) g.guestAgent = false; // the image's disk has no agent installed
      out.push(
        `transferred 0.0 B of ${(size / GiB).toFixed(1)} GiB (0.00%)`,
        `transferred ${(size / GiB).toFixed(1)} GiB of ${(size / GiB).toFixed(1)} GiB (100.00%)`,
      );
    } else if (size === 0) {
      throw new ParamError({ [key]: 'invalid format - disk size must be greater than zero' });
    }
    map.file = allocDisk(s, sid, id, 'images', size, map.format);
    delete map.format;
    map.size = formatSize(size);
    out.push(...lvCreated(s, map.file));
    out.push(`${key}: successfully created disk '${printPropString(driveFormat, map)}'`);
    return printPropString(driveFormat, map);
  }
  if (file === 'none' || file === 'cdrom') return printPropString(driveFormat, map);
  if (file.startsWith('/')) return printPropString(driveFormat, map);
  const v = lookupVolume(s, file);
  if (!v) throw new PveError(`volume '${file}' does not exist`);
  if (map.media !== 'cdrom') map.size ??= formatSize(v.size);
  return printPropString(driveFormat, map);
}

export function defaultBoot(config: Record<string, string>): string {
  const order: string[] = [];
  for (const bus of ['ide', 'sata', 'scsi', 'virtio']) {
    for (let i = 0; i < DRIVE_COUNTS[bus]!; i++) {
      const v = config[`${bus}${i}`];
      if (v !== undefined && !/cloudinit/.test(v)) order.push(`${bus}${i}`);
    }
  }
  for (let i = 0; i < 32; i++) if (config[`net${i}`] !== undefined) order.push(`net${i}`);
  return `order=${order.join(';')}`;
}
