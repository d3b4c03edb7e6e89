// Proxmox property strings (`name=eth0,bridge=vmbr0,ip=dhcp`, `local-lvm:vm-101-disk-0,size=8G`, `order=3,up=30`)
// and disk sizes (`size=8G`), parsed and printed the way pct/qm print them, so desired and live values compare by
// meaning rather than by spelling. The one property-string module: the live read and the step tables use it.

/** An ordered key -> value map of a property string. */
export type Props = Map<string, string>;

/**
 * Parses `k=v,k2=v2`. A part without `=` belongs to `defaultKey` (`startup: 3` means `order=3`; VM `net0: virtio`
 * means the model with no MAC), or is kept with an empty key name when there is no default.
 */
export function parseProps(text: string | undefined, defaultKey?: string): Props {
  const props: Props = new Map();
  for (const raw of (text ?? '').split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) props.set(defaultKey ?? part, defaultKey === undefined ? '' : part);
    else props.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return props;
}

/**
 * Prints `k=v` pairs in the map's order; the inverse of parseProps. The `defaultKey`'s value prints bare and first
 * (`3,up=30`); without one, a key with an empty value prints bare (VM `virtio`).
 */
export function printProps(props: ReadonlyMap<string, string>, defaultKey?: string): string {
  const bare = defaultKey === undefined ? undefined : props.get(defaultKey);
  const rest = [...props]
    .filter(([k]) => k !== defaultKey)
    .map(([k, v]) => (v === '' && defaultKey === undefined ? k : `${k}=${v}`));
  return [...(bare === undefined ? [] : [bare]), ...rest].join(',');
}

const BOOL_WORDS: Record<string, string> = { true: '1', yes: '1', on: '1', false: '0', no: '0', off: '0' };

/** Compares values as Proxmox does: booleans in any spelling, MACs in any case. */
export function sameValue(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const norm = (v: string): string => BOOL_WORDS[v.toLowerCase()] ?? v.toLowerCase();
  return norm(a) === norm(b);
}

/** True when both maps hold the same keys with the same values (order is irrelevant). */
export function sameProps(a: Props, b: Props): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!sameValue(v, b.get(k))) return false;
  return true;
}

const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `8G` -> bytes. A bare number is bytes, as in Proxmox `size=`. Undefined when unparsable. */
export function parseSize(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(text?.trim() ?? '');
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNIT[(m[2] ?? '').toUpperCase()] ?? 1));
}

export const GIB = 1024 ** 3;

/** The `size=` of a disk line (`local-lvm:vm-101-disk-0,size=8G`) in bytes. */
export function diskSizeBytes(diskLine: string | undefined): number | undefined {
  return parseSize(parseProps(diskLine).get('size'));
}

/** Prints a byte count the way Proxmox shows sizes, for messages: `8G`, `512M`. */
export function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    const n = bytes / (UNIT[unit] ?? 1);
    if (n >= 1 && Number.isInteger(n)) return `${n}${unit}`;
  }
  return `${bytes}`;
}
