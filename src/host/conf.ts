// Pure parsers for what Proxmox writes and prints: guest config files, property strings, and the listings of
// pct/qm/pvesm/pveam/pvesh (formats in docs: pve-cli-facts.md, sections 1-6).
import type { Result } from '../result.js';
import { err, ok } from '../result.js';

export interface ParsedGuestConfig {
  /** Main section, `key -> value`; the `#` description lines become `description` (percent-encoded). */
  main: Record<string, string>;
  /** Raw `lxc.key: value` / `lxc.key = value` lines of the main section, in file order. */
  rawLxc: [string, string][];
  /** One entry per `[snapname]` section (a copy of the config plus `snaptime`, `parent`, ...). */
  snapshots: Record<string, Record<string, string>>;
  /** `[pve:pending]` (CT) or `[PENDING]` (VM) values, without the `delete` key. */
  pending?: Record<string, string>;
  /** Keys the pending section deletes (its `delete:` list, `!` force markers removed). */
  pendingDelete?: string[];
  /** `[special:cloudinit]` (VM): the state the last generated cloud-init drive was built from. */
  cloudinit?: Record<string, string>;
}

const SECTION = /^\[([^\]]+)\]\s*$/;
const KEY_VALUE = /^([a-z][a-z0-9_-]*)\s*:\s?(.*)$/i;
const RAW_LXC = /^(lxc\.[^\s:=]+)\s*[:=]\s?(.*)$/;

/** Parse a guest config file (`/etc/pve/nodes/<node>/{lxc,qemu-server}/<id>.conf`). */
export function parseGuestConfig(text: string): ParsedGuestConfig {
  const parsed: ParsedGuestConfig = { main: {}, rawLxc: [], snapshots: {} };
  let section: Record<string, string> = parsed.main;
  let inMain = true;
  const description: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\s+$/, '');
    if (line === '') continue;
    const header = SECTION.exec(line);
    if (header) {
      section = openSection(parsed, header[1] ?? '');
      inMain = false;
      continue;
    }
    // Description lines are already percent-encoded in the file; only the main section's count.
    if (line.startsWith('#')) {
      if (inMain) description.push(line.slice(1));
      continue;
    }
    const raw = RAW_LXC.exec(line);
    if (raw) {
      if (inMain) parsed.rawLxc.push([raw[1] ?? '', raw[2] ?? '']);
      continue;
    }
    const kv = KEY_VALUE.exec(line);
    if (kv) section[kv[1] ?? ''] = kv[2] ?? '';
  }
  // `pct config`/`qm config` print the description percent-encoded, one line joined by %0A.
  if (description.length > 0) parsed.main.description = description.join('%0A');
  if (parsed.pending && 'delete' in parsed.pending) {
    parsed.pendingDelete = splitList(parsed.pending.delete ?? '').map((k) => k.replace(/^!/, ''));
    delete parsed.pending.delete;
  }
  return parsed;
}

function openSection(parsed: ParsedGuestConfig, name: string): Record<string, string> {
  if (name === 'pve:pending' || name === 'PENDING') return (parsed.pending ??= {});
  if (name === 'special:cloudinit') return (parsed.cloudinit ??= {});
  return (parsed.snapshots[name] ??= {});
}

/**
 * The config as `pct config` / `qm config` print it by default: the main section with pending changes merged in
 * (pending values override, pending deletions remove the key).
 */
export function effectiveConfig(parsed: ParsedGuestConfig): Record<string, string> {
  const merged = { ...parsed.main, ...(parsed.pending ?? {}) };
  for (const key of parsed.pendingDelete ?? []) delete merged[key];
  return merged;
}

function splitList(s: string): string[] {
  return s
    .split(/[,;\s]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** Parse `key: value` lines (`pct config`, `qm config`, `pct status`), raw `lxc.*` lines kept apart. */
export function parseConfigOutput(text: string): {
  main: Record<string, string>;
  rawLxc: [string, string][];
} {
  const { main, rawLxc } = parseGuestConfig(text);
  return { main, rawLxc };
}

/**
 * `pct pending` / `qm pending` (pve-guest-common `GuestHelpers::format_pending`): `cur k: v`, then `new k: p` for
 * a pending value, or `del k: v` for a pending deletion; a key with only a pending value prints `new k: p` alone.
 */
export function parsePendingOutput(text: string): { set: Record<string, string>; delete: string[] } {
  const set: Record<string, string> = {};
  const deleted: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(new|del) ([a-z][a-z0-9_-]*):\s?(.*)$/i.exec(line.replace(/\s+$/, ''));
    if (m?.[1] === 'new') set[m[2] ?? ''] = m[3] ?? '';
    else if (m?.[1] === 'del') deleted.push(m[2] ?? '');
  }
  return { set, delete: deleted };
}

// ---------------------------------------------------------------------------------------------------------------
// Listings. Every printer pads columns, so lines carry trailing spaces; with no guests there is no output at all.

export interface PctListRow {
  id: number;
  status: string;
  lock?: string;
  name: string;
}

/** `pct list`: `VMID Status Lock Name` (Lock empty when none; a hostname never holds a space). */
export function parsePctList(text: string): PctListRow[] {
  const rows: PctListRow[] = [];
  for (const fields of dataLines(text, /^VMID\b/)) {
    const [id, status, a, b] = fields;
    if (!isId(id) || status === undefined || a === undefined) continue;
    rows.push(
      b === undefined ? { id: Number(id), status, name: a } : { id: Number(id), status, lock: a, name: b },
    );
  }
  return rows;
}

export interface QmListRow {
  id: number;
  name: string;
  status: string;
  memMb: number;
  bootDiskGb: number;
  pid: number;
}

/** `qm list`: `VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID`; the default name `VM 100` holds a space. */
export function parseQmList(text: string): QmListRow[] {
  const rows: QmListRow[] = [];
  for (const fields of dataLines(text, /^VMID\b/)) {
    if (fields.length < 6 || !isId(fields[0])) continue;
    const n = fields.length;
    rows.push({
      id: Number(fields[0]),
      name: fields.slice(1, n - 4).join(' '),
      status: fields[n - 4] ?? '',
      memMb: Number(fields[n - 3]),
      bootDiskGb: Number(fields[n - 2]),
      pid: Number(fields[n - 1]),
    });
  }
  return rows;
}

export interface StorageRow {
  name: string;
  type: string;
  status: string;
  totalKiB: number;
  usedKiB: number;
  availableKiB: number;
  /** Used percentage; undefined for `N/A` (a disabled storage). */
  usedPercent?: number;
}

/** `pvesm status`, with either header (`Total (KiB)` since PVE 9.1, `Total` before). */
export function parsePvesmStatus(text: string): StorageRow[] {
  const rows: StorageRow[] = [];
  for (const f of dataLines(text, /^Name\s+Type\b/)) {
    if (f.length < 7) continue;
    const pct = f[6] ?? '';
    const row: StorageRow = {
      name: f[0] ?? '',
      type: f[1] ?? '',
      status: f[2] ?? '',
      totalKiB: Number(f[3]),
      usedKiB: Number(f[4]),
      availableKiB: Number(f[5]),
    };
    if (/^[\d.]+%$/.test(pct)) row.usedPercent = Number(pct.slice(0, -1));
    rows.push(row);
  }
  return rows;
}

/** `pveam list <storage>`: `NAME SIZE` header, rows `<volid> <n>MB`. */
export function parsePveamList(text: string): { volid: string; sizeMb: number }[] {
  return dataLines(text, /^NAME\s+SIZE\b/)
    .filter((f) => f.length >= 2 && (f[0] ?? '').includes(':'))
    .map((f) => ({ volid: f[0] ?? '', sizeMb: Number((f[1] ?? '').replace(/MB$/, '')) }));
}

/**
 * `pveam available` (pve-manager `PVE/CLI/pveam.pm` `available`): `section template arch` rows (`%-15s %-60s %s`;
 * before pve-manager 9.2 without the arch). The template name is the second field.
 */
export function parsePveamAvailable(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[1])
    .filter((t): t is string => t !== undefined && t !== '');
}

export interface SnapshotEntry {
  name: string;
  /** Depth in the snapshot tree (0 for a root). */
  depth: number;
  /** Local `YYYY-MM-DD HH:MM:SS`. */
  time: string;
  description: string;
}

/** `pct listsnapshot` / `qm listsnapshot`: the tree, without the `current` pseudo-entry. */
export function parseListSnapshot(text: string): SnapshotEntry[] {
  const entries: SnapshotEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^( *)`-> (\S+)\s*(.*)$/.exec(line.replace(/\s+$/, ''));
    if (!m || m[2] === 'current') continue;
    const rest = m[3] ?? '';
    const t = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s*(.*)$/.exec(rest);
    entries.push({
      name: m[2] ?? '',
      depth: (m[1] ?? '').length,
      time: t?.[1] ?? '',
      description: (t ? t[2] : rest) ?? '',
    });
  }
  return entries;
}

/** The lines of a padded table, split on whitespace, the header (matched by `header`) dropped. */
function dataLines(text: string, header: RegExp): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !header.test(l))
    .map((l) => l.split(/\s+/));
}

function isId(s: string | undefined): s is string {
  return s !== undefined && /^[1-9][0-9]{2,8}$/.test(s);
}

// ---------------------------------------------------------------------------------------------------------------
// pvesh --output-format json and qm guest exec.

/** Parse pvesh's JSON output (no `{"data": ...}` wrapper). */
export function parsePveshJson(stdout: string): Result<unknown, string> {
  try {
    return ok(JSON.parse(stdout) as unknown);
  } catch (e) {
    return err(`pvesh printed invalid JSON: ${(e as Error).message}`);
  }
}

/** `pvesh get /nodes/<n>/{lxc,qemu}/<id>/config`: numbers to strings, `lxc` pairs to rawLxc, `digest` dropped. */
export function configFromPveshJson(data: unknown): {
  main: Record<string, string>;
  rawLxc: [string, string][];
} {
  const main: Record<string, string> = {};
  const rawLxc: [string, string][] = [];
  if (typeof data !== 'object' || data === null) return { main, rawLxc };
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (key === 'digest') continue;
    if (key === 'lxc' && Array.isArray(value)) {
      for (const pair of value as unknown[]) {
        if (Array.isArray(pair) && pair.length === 2) rawLxc.push([String(pair[0]), String(pair[1])]);
      }
      continue;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      main[key] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    }
  }
  return { main, rawLxc };
}

/** `pvesh get .../snapshot`: snapshot names, in no set order, without `current`. */
export function snapshotNamesFromPveshJson(data: unknown): string[] {
  if (!Array.isArray(data)) return [];
  return (data as unknown[])
    .map((s) => (typeof s === 'object' && s !== null ? (s as { name?: unknown }).name : undefined))
    .filter((n): n is string => typeof n === 'string' && n !== 'current');
}

export interface GuestExecResult {
  exitcode?: number;
  exited?: boolean;
  outData?: string;
  errData?: string;
  signal?: number;
  /** Set when qm gave up waiting (`timeout reached, returning pid`). */
  pid?: number;
}

/** `qm guest exec` prints pretty JSON and exits 0 even when the guest command failed: read `exitcode`. */
export function parseGuestExec(stdout: string): Result<GuestExecResult, string> {
  const json = parsePveshJson(stdout);
  if (!json.ok) return json;
  if (typeof json.value !== 'object' || json.value === null) return err('qm guest exec printed no object');
  const o = json.value as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const out: GuestExecResult = {};
  const set = <K extends keyof GuestExecResult>(k: K, v: GuestExecResult[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('exitcode', num(o.exitcode));
  set('exited', o.exited === undefined ? undefined : o.exited === 1 || o.exited === true);
  set('outData', str(o['out-data']));
  set('errData', str(o['err-data']));
  set('signal', num(o.signal));
  set('pid', num(o.pid));
  return ok(out);
}

/** One storage as `/etc/pve/storage.cfg` defines it. */
export interface StorageInfo {
  id: string;
  /** `dir`, `lvmthin`, `zfspool`, `nfs`, ... */
  type: string;
  /** Content types it holds (`iso`, `vztmpl`, `import`, `rootdir`, `images`, `snippets`, `backup`). */
  content: string[];
  /** Mount path of a file-based storage. */
  path?: string;
  disabled: boolean;
}

/**
 * Content a storage holds when its section has no `content` line (pve-storage `PVE/Storage/*Plugin.pm`
 * `plugindata`, second element, applied by `Plugin.pm` `parse_config`).
 */
const DEFAULT_CONTENT: Readonly<Record<string, string[]>> = {
  dir: ['images', 'rootdir'],
  btrfs: ['images', 'rootdir'],
  lvmthin: ['images', 'rootdir'],
  zfspool: ['images', 'rootdir'],
  lvm: ['images'],
  nfs: ['images'],
  cifs: ['images'],
  rbd: ['images'],
  zfs: ['images'],
  iscsi: ['images'],
  cephfs: ['backup'],
  pbs: ['backup'],
};

/**
 * `/etc/pve/storage.cfg` (pve-common `SectionConfig.pm`: `type: id` headers, tab-indented `key value` lines or bare
 * flags). Like pve-storage `Plugin.pm` `parse_config`, a missing `local` (or one that is not a dir on
 * /var/lib/vz) is the built-in one: backup, images, iso, rootdir, snippets, vztmpl.
 */
export function parseStorageCfg(text: string): StorageInfo[] {
  const out: StorageInfo[] = [];
  let cur: (StorageInfo & { hasContent: boolean }) | undefined;
  const flush = (): void => {
    if (!cur) return;
    const { hasContent, ...info } = cur;
    if (!hasContent) info.content = [...(DEFAULT_CONTENT[info.type] ?? [])];
    out.push(info);
  };
  for (const raw of text.split('\n')) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const head = /^(\S+):\s*(\S+)\s*$/.exec(raw);
    if (head && !/^\s/.test(raw)) {
      flush();
      cur = { id: head[2] ?? '', type: head[1] ?? '', content: [], disabled: false, hasContent: false };
      continue;
    }
    const m = /^\s+(\S+)(?:\s+(.*\S))?\s*$/.exec(raw);
    if (!cur || !m) continue;
    const [, key, value = ''] = m;
    if (key === 'content') {
      cur.hasContent = true;
      cur.content = value.split(/[,;\s]+/).filter((c) => c !== '' && c !== 'none');
    } else if (key === 'path') cur.path = value;
    else if (key === 'disable') cur.disabled = value !== '0';
  }
  flush();
  const local = out.find((s) => s.id === 'local');
  if (!local || local.type !== 'dir' || (local.path !== undefined && local.path !== '/var/lib/vz')) {
    const builtin: StorageInfo = {
      id: 'local',
      type: 'dir',
      path: '/var/lib/vz',
      content: ['backup', 'images', 'iso', 'rootdir', 'snippets', 'vztmpl'],
      disabled: false,
    };
    return [builtin, ...out.filter((s) => s.id !== 'local')];
  }
  local.path ??= '/var/lib/vz';
  return out;
}

/** `pvesh get /storage --output-format json`: the same storages through the API (off the node). */
export function storagesFromPveshJson(data: unknown): StorageInfo[] {
  if (!Array.isArray(data)) return [];
  return data.flatMap((row: unknown) => {
    const r = row as {
      storage?: unknown;
      type?: unknown;
      content?: unknown;
      path?: unknown;
      disable?: unknown;
    };
    if (typeof r.storage !== 'string' || typeof r.type !== 'string') return [];
    const content =
      typeof r.content === 'string' ? r.content.split(',').filter((c) => c !== '' && c !== 'none') : [];
    return [
      {
        id: r.storage,
        type: r.type,
        content,
        ...(typeof r.path === 'string' ? { path: r.path } : {}),
        disabled: r.disable === 1 || r.disable === '1' || r.disable === true,
      },
    ];
  });
}
