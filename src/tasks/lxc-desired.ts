// The container settings `configure` owns, computed once from the guest's config: its inputs, live check, preview
// and action all derive from desiredLxc() and diffLxc(), so they cannot disagree.
import { splitLxcLine } from '../config/lxc-keys.js';
import type { LxcGuest } from '../config/model.js';
import type { LiveGuest } from '../host/live.js';
import { diffKeys, nameserverKey, propsKey, simpleKey, startupKey } from './managed-key.js';
import type { ManagedKey } from './managed-key.js';
import { parseProps, printProps, sameValue } from '../host/props.js';
import type { Props } from '../host/props.js';
import type { Diff } from './step.js';

/** A mount point the config asks for, found in the live config by its `mp=` path. */
export interface DesiredMount {
  mountPoint: string;
  /** `<pool>:<GiB>` for a new volume, or the host folder of a bind mount. */
  volume: string;
  bind: boolean;
}

export interface LxcDesired {
  keys: ManagedKey[];
  mounts: DesiredMount[];
  /** Raw `lxc.*` lines that must be present, as [key, value]. */
  raw: [string, string][];
  /** Keys of which only the desired lines may exist (lxc.apparmor.profile, lxc.cap.keep), in their order. */
  rawExclusive: string[];
}

/** What `configure` must change: per-key diffs, the `pct set` options and the raw-line edit. */
export interface LxcChanges {
  diffs: Diff[];
  /** `--key value` pairs for one `pct set` call (empty when nothing differs). */
  setArgs: string[];
  raw: RawEdit | undefined;
}

export interface RawEdit {
  /** Every line with one of these keys is removed first. */
  removeKeys: string[];
  /** Then these lines are appended to the main section. */
  append: [string, string][];
}

export type { ManagedKey };

const APPARMOR_KEY = 'lxc.apparmor.profile';

/** What apparmor_manages_nesting adds for a container with its own profile (the original's two lines). */
export const NESTING_LINES: readonly [string, string][] = [
  ['lxc.apparmor.allow_nesting', '1'],
  ['lxc.include', '/usr/share/lxc/config/nesting.conf'],
];

/** net0 as configured: name, bridge, ip, gw and hwaddr (only when a MAC is configured). */
export function lxcNet0(guest: LxcGuest): Props {
  const net = guest.config.network_config;
  const props: Props = new Map([
    ['name', net?.name ?? 'eth0'],
    ['bridge', net?.bridge ?? 'vmbr0'],
    ['ip', net?.ip ?? 'dhcp'],
  ]);
  if (net?.gw !== undefined) props.set('gw', net.gw);
  const mac = guest.config.mac_address;
  if (mac !== undefined && mac !== '') props.set('hwaddr', mac.toUpperCase());
  return props;
}

/** net0 keys Phoenix owns; others (type, tag, firewall, mtu, a generated hwaddr) are kept as they are. */
function net0Key(guest: LxcGuest): ManagedKey {
  const desired = lxcNet0(guest);
  const owned = ['name', 'bridge', 'ip', 'gw', ...(desired.has('hwaddr') ? ['hwaddr'] : [])];
  return {
    key: 'net0',
    desired: printProps(desired),
    same(live) {
      const l = parseProps(live);
      return owned.every((k) => sameValue(l.get(k), desired.get(k)));
    },
    // Without the live hwaddr, `pct set --net0` would generate a new MAC (and change the guest's identity).
    valueFor(live) {
      const merged: Props = new Map(desired);
      for (const [k, v] of parseProps(live)) if (!owned.includes(k) && !merged.has(k)) merged.set(k, v);
      return printProps(merged);
    },
  };
}

/** Splits `lxc.key: value` or `lxc.key = value` into [key, value]. */
export function parseRawLine(line: string): [string, string] {
  const kv = splitLxcLine(line);
  if (!kv) throw new Error(`not an lxc.* line: ${line}`); // the schema validates lxc_options
  return kv;
}

const CAP_KEEP = 'lxc.cap.keep';
/** Keys whose value is a list of capabilities. */
const CAP_KEYS = new Set([CAP_KEEP, 'lxc.cap.drop']);

/**
 * The conf lines of one `lxc_options` entry. LXC splits a capability list on blanks only (lxc `src/lxc/confile.c`
 * set_config_cap_keep / set_config_cap_drop) and refuses to start on an unknown capability (`src/lxc/conf.c`
 * dropcaps_except), so `lxc.cap.keep=sys_admin,mknod` written as it is would be one capability named
 * `sys_admin,mknod`: a comma-separated list becomes one line per capability, as the original's
 * apply_configurations wrote it.
 */
export function rawLines(option: string): [string, string][] {
  const [key, value] = parseRawLine(option);
  if (!CAP_KEYS.has(key) || !value.includes(',')) return [[key, value]];
  return value
    .split(',')
    .map((cap) => cap.trim())
    .filter((cap) => cap !== '')
    .map((cap) => [key, cap]);
}

function desiredMounts(guest: LxcGuest): DesiredMount[] {
  const c = guest.config;
  const zfs = c.zfs_volumes.map((v) => ({
    mountPoint: v.mount_point,
    volume: `${v.pool}:${v.size_gb}`,
    bind: false,
  }));
  const others = c.volumes.map((v) =>
    v.host_path !== undefined
      ? { mountPoint: v.mount_point, volume: v.host_path, bind: true }
      : { mountPoint: v.mount_point, volume: `${v.pool ?? ''}:${v.size_gb ?? 0}`, bind: false },
  );
  return [...zfs, ...others];
}

/** Every setting `configure` manages for this container. */
export function desiredLxc(guest: LxcGuest): LxcDesired {
  const c = guest.config;
  const keys: ManagedKey[] = [
    simpleKey('hostname', c.name),
    simpleKey('memory', String(c.memory_mb), '512'),
    simpleKey('swap', String(c.swap_mb), '512'),
    simpleKey('cores', String(c.cores)),
    simpleKey('onboot', c.start_at_boot ? '1' : '0', '0'),
    startupKey(c.boot_order, c.boot_delay, c.shutdown_timeout),
    net0Key(guest),
  ];
  const ns = c.network_config?.nameservers;
  if (ns !== undefined) keys.push(nameserverKey(ns));
  // Empty pct_options leaves `features` alone, as the original did (clones inherit their source's features).
  if (c.pct_options.length > 0) keys.push(propsKey('features', parseProps(c.pct_options.join(','))));
  // The same line twice is one line in the file (a second copy would never be written, and always differ).
  const raw = c.lxc_options
    .flatMap(rawLines)
    .filter(([k, v], i, all) => all.findIndex(([k2, v2]) => k2 === k && v2 === v) === i);
  if (c.apparmor_profile !== undefined) {
    const without = raw.filter(([k]) => k !== APPARMOR_KEY);
    raw.length = 0;
    raw.push(...without, [APPARMOR_KEY, c.apparmor_profile]);
    // As the original's apply_apparmor_profile: only a profile of the container's own manages nesting.
    if (c.apparmor_manages_nesting && c.apparmor_profile !== 'unconfined')
      for (const line of NESTING_LINES)
        if (!raw.some(([k, v]) => k === line[0] && v === line[1])) raw.push([...line]);
  }
  // The original replaced every lxc.cap.keep line with the configured ones; the AppArmor profile is single-valued.
  const rawExclusive = [APPARMOR_KEY, CAP_KEEP].filter((key) => raw.some(([k]) => k === key));
  return { keys, mounts: desiredMounts(guest), raw, rawExclusive };
}

/** Live mount points by their `mp=` path: [mpN key, parsed value]. */
function liveMounts(config: Record<string, string>): Map<string, [string, Props]> {
  const found = new Map<string, [string, Props]>();
  for (const [key, value] of Object.entries(config)) {
    if (!/^mp\d+$/.test(key)) continue;
    const props = parseProps(value, 'volume');
    const mp = props.get('mp');
    if (mp !== undefined) found.set(mp, [key, props]);
  }
  return found;
}

function nextFreeMp(taken: Set<string>): string {
  for (let i = 0; ; i++) if (!taken.has(`mp${i}`)) return `mp${i}`;
}

function diffMounts(desired: DesiredMount[], config: Record<string, string>, out: LxcChanges): void {
  const live = liveMounts(config);
  const taken = new Set(Object.keys(config).filter((k) => /^mp\d+$/.test(k)));
  for (const m of desired) {
    const have = live.get(m.mountPoint);
    if (have && (!m.bind || have[1].get('volume') === m.volume)) continue;
    // A bind mount pointing elsewhere is re-pointed in place; a missing mount gets the next free mpN.
    const key = have ? have[0] : nextFreeMp(taken);
    taken.add(key);
    out.diffs.push({
      field: `${key} (mp=${m.mountPoint})`,
      actual: have ? config[key] : undefined,
      desired: m.volume,
    });
    out.setArgs.push(`--${key}`, `${m.volume},mp=${m.mountPoint}`);
  }
}

function diffRaw(
  desired: LxcDesired,
  liveRaw: [string, string][],
): { diffs: Diff[]; edit: RawEdit | undefined } {
  const diffs: Diff[] = [];
  const removeKeys: string[] = [];
  const append: [string, string][] = [];
  const joined = (values: string[]): string | undefined =>
    values.length === 0 ? undefined : values.join(' | ');
  for (const key of desired.rawExclusive) {
    const want = desired.raw.filter(([k]) => k === key).map(([, v]) => v);
    const have = liveRaw.filter(([k]) => k === key).map(([, v]) => v);
    if (have.length === want.length && have.every((v, i) => v === want[i])) continue;
    diffs.push({ field: key, actual: joined(have), desired: joined(want) });
    if (have.length > 0) removeKeys.push(key);
    for (const value of want) append.push([key, value]);
  }
  for (const [key, value] of desired.raw) {
    if (desired.rawExclusive.includes(key)) continue;
    if (liveRaw.some(([k, v]) => k === key && v === value)) continue;
    if (append.some(([k, v]) => k === key && v === value)) continue;
    diffs.push({ field: key, actual: undefined, desired: value });
    append.push([key, value]);
  }
  return { diffs, edit: append.length > 0 || removeKeys.length > 0 ? { removeKeys, append } : undefined };
}

/** Compares the live container with the desired settings: only what differs is changed. */
export function diffLxc(desired: LxcDesired, live: Pick<LiveGuest, 'config' | 'rawLxc'>): LxcChanges {
  const config = live.config ?? {};
  const keys = diffKeys(desired.keys, config);
  const out: LxcChanges = { diffs: keys.diffs, setArgs: keys.setArgs, raw: undefined };
  diffMounts(desired.mounts, config, out);
  const raw = diffRaw(desired, live.rawLxc ?? []);
  out.diffs.push(...raw.diffs);
  out.raw = raw.edit;
  return out;
}
