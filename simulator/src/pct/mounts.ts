// pct's volumes (`rootfs`, `mpN`): storage checks and allocation of `SID:N` sizes.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ParamError, PveError } from '../errors.js';
import { formatSize, GiB, mountFormat, parsePropString, printPropString } from '../props.js';
import type { SimState } from '../state.js';
import { allocDisk, getStorage, lookupVolume, lvCreated } from '../storage.js';

export function checkRootdirStorage(s: SimState, sid: string, param: string): void {
  const st = getStorage(s, sid);
  if (!st.content.includes('rootdir')) {
    throw new ParamError({ [param]: `storage '${sid}' does not support container directories` });
  }
}

/** Allocates `SID:N` (GiB) mount point volumes; keeps existing volids and bind mounts. */
export function allocMount(
  s: SimState,
  id: number,
  key: string,
  value: string,
  defStorage: string,
  out: string[],
): string {
  const fmt = mountFormat(key);
  const r = parsePropString(fmt, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  const map = { ...r.map };
  let vol = map.volume!;
  if (/^\d+(\.\d+)?$/.test(vol)) vol = `${defStorage}:${vol}`;
  const alloc = /^([a-zA-Z][\w\-.]*):(\d+(?:\.\d+)?)$/.exec(vol);
  if (alloc) {
    const sid = alloc[1]!;
    checkRootdirStorage(s, sid, key === 'rootfs' ? 'storage' : key);
    const size = Math.round(Number(alloc[2]) * GiB);
    map.volume = allocDisk(s, sid, id, 'rootdir', size);
    map.size = formatSize(size);
    out.push(...lvCreated(s, map.volume));
  } else if (!vol.startsWith('/')) {
    const v = lookupVolume(s, vol);
    if (!v) throw new PveError(`volume '${vol}' does not exist`);
    map.size ??= formatSize(v.size);
  }
  return printPropString(fmt, map);
}

/**
 * The host folder of the first bind mount point among `keys` that does not exist (F13.1): the node's files live in
 * the simulator's folder, so `/srv/x` is `<dir>/srv/x`. Device mounts (`/dev/...`) are not checked.
 */
export function missingBindDir(
  dir: string,
  config: Record<string, string>,
  keys: Iterable<string> = Object.keys(config),
): { key: string; path: string } | undefined {
  for (const key of keys) {
    const value = config[key];
    if (!/^mp\d+$/.test(key) || value === undefined) continue;
    const path = value.split(',')[0]!.replace(/^volume=/, '');
    if (!path.startsWith('/') || path.startsWith('/dev/')) continue;
    const full = join(dir, path);
    if (!existsSync(full) || !statSync(full).isDirectory()) return { key, path };
  }
  return undefined;
}

/**
 * The first `lxc.idmap` range root holds no subordinate ids for (F14.2): LXC writes the map with newuidmap /
 * newgidmap, which check `/etc/subuid` / `/etc/subgid` (a node's own files, here inside the simulator's folder; a
 * missing file reads as the stock `root:100000:65536`). A map that includes host id 0 is written directly.
 */
export function unheldIdRange(dir: string, lxc: readonly [string, string][]): string | undefined {
  const entries = lxc
    .filter(([k]) => k === 'lxc.idmap')
    .map(([, v]) => /^([ug])\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(v.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ type: m[1]!, host: Number(m[3]), size: Number(m[4]), line: m[0].trim() }));
  for (const type of ['u', 'g']) {
    const own = entries.filter((e) => e.type === type);
    if (own.some((e) => e.host === 0)) continue;
    const file = join(dir, 'etc', type === 'u' ? 'subuid' : 'subgid');
    const text = existsSync(file) ? readFileSync(file, 'utf8') : 'root:100000:65536\n';
    const ranges = text
      .split('\n')
      .map((l) => /^root:(\d+):(\d+)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [Number(m[1]), Number(m[2])] as const);
    for (const e of own) {
      let at = e.host;
      for (const [start, size] of [...ranges].sort((a, b) => a[0] - b[0]))
        if (start <= at && start + size > at) at = start + size;
      if (at < e.host + e.size) return `new${type}idmap failed to write mapping: ${e.line}`;
    }
  }
  return undefined;
}
