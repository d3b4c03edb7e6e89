// Helpers shared by pct and qm (and pvesh's rows): disks of a config, MACs, pids, resource numbers, what a start
// and a failed create do, and what `set` needs.
import { setStatus } from './context.js';
import { crypto } from './crypto.js';
import { driveFormat, mountFormat, parsePropString, parseSize } from './props.js';
import { PveError } from './errors.js';
import { freeVolume, isBaseVolume, isLvm, linkedUsers, splitVolid } from './storage.js';
import type { GuestState, SimState } from './state.js';

export const DISK_KEY_RE = /^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$/;
export const CT_DISK_KEY_RE = /^(rootfs|mp\d+)$/;

export interface DiskRef {
  key: string;
  volid: string;
  /** Bytes, from `size=` in the config. */
  size: number;
  map: Record<string, string>;
  cdrom: boolean;
  cloudinit: boolean;
}

/** Volume-backed disks of a config (bind mounts, `none` and ISO cdroms excluded unless `withCdrom`). */
export function configDisks(
  type: 'lxc' | 'qemu',
  config: Record<string, string>,
  withCdrom = false,
): DiskRef[] {
  const out: DiskRef[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (type === 'lxc' && !CT_DISK_KEY_RE.test(key)) continue;
    if (type === 'qemu' && !DISK_KEY_RE.test(key)) continue;
    const fmt = type === 'lxc' ? mountFormat(key) : driveFormat;
    const r = parsePropString(fmt, value, key);
    if (!r.ok) continue;
    const volid = type === 'lxc' ? r.map.volume! : r.map.file!;
    if (!splitVolid(volid) || volid === 'none') continue;
    const cloudinit = /-cloudinit(\.\w+)?$/.test(volid);
    const cdrom = r.map.media === 'cdrom' && !cloudinit;
    if (cdrom && !withCdrom) continue;
    out.push({ key, volid, size: r.map.size ? parseSize(r.map.size) : 0, map: r.map, cdrom, cloudinit });
  }
  // Keys are lower-case letters and digits, where code-point order is localeCompare's order; localeCompare's
  // first call sets up ICU collation (~9 ms), more than the rest of a `qm list`.
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A MAC in Proxmox's own OUI BC:24:11, upper case. */
export function randomMac(): string {
  return [
    'BC',
    '24',
    '11',
    ...[...crypto().randomBytes(3)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')),
  ].join(':');
}

export function newUuid(): string {
  return crypto().randomUUID();
}

export function nextPid(s: SimState): number {
  s.nextPid += 1 + Math.floor(Math.random() * 50);
  return s.nextPid;
}

export function guestName(g: GuestState): string {
  if (g.type === 'lxc') return g.config.hostname ?? `CT${g.vmid}`;
  return g.config.name ?? `VM ${g.vmid}`;
}

export function memBytes(g: GuestState): number {
  return Number(g.config.memory ?? (g.type === 'lxc' ? 512 : 512)) * 1024 * 1024;
}

export function bootDiskBytes(g: GuestState): number {
  if (g.type === 'lxc') return configDisks('lxc', g.config).find((d) => d.key === 'rootfs')?.size ?? 0;
  const disks = configDisks('qemu', g.config).filter((d) => !d.cloudinit);
  const order = /order=([^,]+)/.exec(g.config.boot ?? '')?.[1]?.split(';') ?? [];
  const first = order.map((k) => disks.find((d) => d.key === k)).find((d) => d !== undefined) ?? disks[0];
  return first?.size ?? 0;
}

/** `pct/qm status --verbose`: one `key: value` line per field, sorted. */
export function verboseStatus(v: Record<string, string | number>): string {
  return Object.keys(v)
    .sort()
    .map((k) => `${k}: ${v[k]}\n`)
    .join('');
}

export function uptimeSec(g: GuestState, now: number): number {
  return g.status === 'running' && g.startedAt ? Math.floor((now - g.startedAt) / 1000) : 0;
}

/** Removes a guest whose create or clone failed, with the volumes its config names. */
export function discardGuest(s: SimState, id: number | string): void {
  const g = s.guests[id];
  if (!g) return;
  for (const d of configDisks(g.type, g.config)) freeVolume(s, d.volid);
  delete s.guests[id];
}

/** Whether the guest is a template (a linked clone source). */
export function isTemplate(g: GuestState): boolean {
  return g.config.template === '1';
}

/**
 * Frees every volume of a guest being destroyed (its disks, its snapshots' disks and unused volumes) and returns
 * the storage tool's output lines. A base volume that linked clones still use blocks the whole destroy, with the
 * tool's own wording (pct and qm differ).
 */
export function destroyVolumes(
  s: SimState,
  g: GuestState,
  linkedClonesError: (volid: string) => string,
): string[] {
  const vols = [
    ...new Set(
      [g.config, ...Object.values(g.snapshots).map((x) => x.config)].flatMap((c) =>
        configDisks(g.type, c).map((d) => d.volid),
      ),
    ),
  ];
  for (const k of Object.keys(g.config)) if (/^unused\d+$/.test(k)) vols.push(g.config[k]!);
  for (const v of vols) {
    if (isBaseVolume(v) && linkedUsers(s, v).length > 0) throw new PveError(linkedClonesError(v));
  }
  const out: string[] = [];
  for (const v of vols) {
    const [sid, name] = splitVolid(v)!;
    if (isLvm(s.storages[sid])) {
      out.push(`  Logical volume "${name.split('/').pop()}" successfully removed.`);
    }
    freeVolume(s, v);
  }
  return out;
}

// ---- `set`: what pct set and qm set share -------------------------------------------------------------------

/** The key list of `--delete` / `--revert` (comma, semicolon or space separated). */
function splitKeys(v: string | undefined): string[] {
  return v ? v.split(/[,; ]/).filter((k) => k !== '') : [];
}

export interface SetRequest {
  /** The config keys to set. */
  values: Record<string, string>;
  del: string[];
  revert: string[];
  digest: string | undefined;
}

/**
 * Splits `set`'s options into the keys to set and its own parameters (`delete`, `revert`, `digest`, and the
 * tool's `extra` ones, which the caller reads first); dies when there is nothing to do.
 */
export function setRequest(opts: Record<string, string>, extra: readonly string[] = []): SetRequest {
  const values = { ...opts };
  const del = splitKeys(values.delete);
  const revert = splitKeys(values.revert);
  const digest = values.digest;
  for (const k of ['delete', 'revert', 'digest', ...extra]) delete values[k];
  if (Object.keys(values).length === 0 && del.length === 0 && revert.length === 0) {
    throw new PveError('no options specified');
  }
  return { values, del, revert, digest };
}

/** `--digest`: dies when the config changed since the caller read it. */
export function checkDigest(g: GuestState, digest: string | undefined): void {
  if (digest !== undefined && digest !== g.mirrorHash) {
    throw new PveError('detected modified configuration - file changed by other user? Try again.');
  }
}

/** Keeps `volid` as the guest's first free `unusedN` (a detached disk is not freed); returns that key. */
export function addUnused(g: GuestState, volid: string): string {
  let n = 0;
  while (g.config[`unused${n}`] !== undefined) n++;
  g.config[`unused${n}`] = volid;
  return `unused${n}`;
}

/** `--revert`: drops the pending change of each key. */
export function revertPending(g: GuestState, keys: readonly string[]): void {
  for (const k of keys) {
    delete g.pending[k];
    g.pendingDelete = g.pendingDelete.filter((x) => x !== k);
  }
}

/** Makes the pending changes current. */
function applyPending(g: GuestState): void {
  for (const k of g.pendingDelete) delete g.config[k];
  Object.assign(g.config, g.pending);
  g.pending = {};
  g.pendingDelete = [];
}

/** What `start` (and the second half of `reboot`) does: the pending changes become current; it runs, new pid. */
export function startGuest(s: SimState, g: GuestState, now: number): void {
  applyPending(g);
  setStatus(g, 'running', now, nextPid(s));
}

/** Sets a key: at once when `now` (stopped guest or hot-pluggable key), else as a pending change. */
export function setValue(g: GuestState, k: string, v: string, now: boolean): void {
  if (now) {
    g.config[k] = v;
    delete g.pending[k];
  } else {
    g.pending[k] = v;
  }
  g.pendingDelete = g.pendingDelete.filter((x) => x !== k);
}

/** The API's config and pending reads print a VM's stored password as this (API2/Qemu.pm, vm_config). */
export function maskPassword(config: Record<string, string>): Record<string, string> {
  return config.cipassword ? { ...config, cipassword: '**********' } : config;
}
