// Value formats of the PVE schema: VM IDs, DNS names, sizes, and property strings (net0, rootfs, mpN, ...).
import { bool, checkValue, int, parseBoolean, str, type Checker, type OptSpec } from './getopt.js';

export const VMID_RE = /^[1-9][0-9]{2,8}$/;
export const vmidSpec: OptSpec = {
  type: 'string',
  check: (v, k) => (VMID_RE.test(v) ? undefined : { [k]: 'value does not look like a valid VM ID' }),
};
/** The `<vmid>` positional of most pct/qm commands. */
export const vmidArg = { name: 'vmid', spec: vmidSpec };

const DNS_LABEL = '[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?';
export const DNS_RE = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);
export const dnsNameSpec: OptSpec = {
  type: 'string',
  check: (v, k) => (DNS_RE.test(v) ? undefined : { [k]: 'value does not look like a valid DNS name' }),
};

export const SNAPNAME_RE = /^[a-zA-Z][a-zA-Z0-9_-]+$/;
export const snapnameSpec: OptSpec = {
  type: 'string',
  check: (v, k) =>
    SNAPNAME_RE.test(v) && v.length <= 40
      ? undefined
      : { [k]: `invalid format - invalid configuration ID '${v}'` },
};

export const STORAGE_ID_RE = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;
export const storageIdSpec: OptSpec = {
  type: 'string',
  check: (v, k) =>
    STORAGE_ID_RE.test(v)
      ? undefined
      : { [k]: `invalid format - storage ID '${v}' contains illegal characters` },
};

const IPV4 = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}`;
export const IPV4_RE = new RegExp(`^${IPV4}$`);
const IPV4_CIDR_RE = new RegExp(`^${IPV4}/(?:3[0-2]|[12]?\\d)$`);
const IPV6_RE = /^[0-9a-fA-F:]+(?:\.\d+\.\d+\.\d+\.\d+)?$/;
const IPV6_CIDR_RE = /^[0-9a-fA-F:]+\/(?:12[0-8]|1[01]\d|[1-9]?\d)$/;
export const MAC_RE = /^[a-fA-F0-9]{2}(?::[a-fA-F0-9]{2}){5}$/;

const fmt = (re: RegExp, what: string): OptSpec => ({
  type: 'string',
  check: (v, k) => (re.test(v) ? undefined : { [k]: `invalid format - ${what}` }),
});
const ipv4ConfigSpec: OptSpec = {
  type: 'string',
  check: (v, k) =>
    v === 'dhcp' || v === 'manual' || IPV4_CIDR_RE.test(v)
      ? undefined
      : { [k]: `invalid format - invalid IPv4 config '${v}'` },
};
const ipv6ConfigSpec: OptSpec = {
  type: 'string',
  check: (v, k) =>
    ['dhcp', 'auto', 'manual'].includes(v) || IPV6_CIDR_RE.test(v)
      ? undefined
      : { [k]: `invalid format - invalid IPv6 config '${v}'` },
};
const ipv4Spec = fmt(IPV4_RE, 'value does not look like a valid IPv4 address');
const ipv6Spec = fmt(IPV6_RE, 'value does not look like a valid IPv6 address');
const macSpec: OptSpec = {
  type: 'string',
  check: (v, k) => {
    if (!MAC_RE.test(v)) return { [k]: 'value does not match the regex pattern' };
    // a multicast/group address (low bit of the first octet) is refused
    if (parseInt(v.slice(0, 2), 16) & 1) return { [k]: `invalid format - MAC address '${v}' is not unicast` };
    return undefined;
  },
};
export const SIZE_RE = /^\d+(?:\.\d+)?[KMGT]?$/;
const diskSizeSpec: OptSpec = { type: 'string', pattern: /\d+(?:\.\d+)?[KMGT]?/ };

export interface PropFormat {
  keys: Record<string, OptSpec & { required?: boolean }>;
  /** The key a bare value belongs to (`rootfs: local-lvm:8` means volume=local-lvm:8). */
  defaultKey?: string;
  /** Keys whose name is the value's own key (qm net: `virtio=MAC`). */
  aliasKeys?: Record<string, string>;
}

/** Parses `k=v,...` against a format; returns the map or the errors (`param: invalid format - ...` style). */
export function parsePropString(
  fmtDef: PropFormat,
  value: string,
  param: string,
): { ok: true; map: Record<string, string> } | { ok: false; errors: Record<string, string> } {
  const map: Record<string, string> = {};
  const errors: Record<string, string> = {};
  for (const part of value.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let k: string;
    let v: string;
    if (eq < 0) {
      if (fmtDef.aliasKeys && fmtDef.aliasKeys[part] !== undefined) {
        k = part;
        v = '';
      } else if (fmtDef.defaultKey) {
        if (map[fmtDef.defaultKey] !== undefined) {
          errors[param] = 'invalid format - format error';
          errors[`${param}.${fmtDef.defaultKey}`] = 'duplicate key';
          continue;
        }
        k = fmtDef.defaultKey;
        v = part;
      } else {
        errors[param] = `invalid format - value without key, but schema does not define a default key`;
        continue;
      }
    } else {
      k = part.slice(0, eq);
      v = part.slice(eq + 1);
    }
    if (fmtDef.aliasKeys && fmtDef.aliasKeys[k] !== undefined) {
      map.model = k;
      if (v !== '') map.macaddr = v;
      continue;
    }
    const spec = fmtDef.keys[k];
    if (!spec) {
      errors[`${param}.${k}`] =
        'property is not defined in schema and the schema does not allow additional properties';
      continue;
    }
    if (map[k] !== undefined) {
      errors[`${param}.${k}`] = 'duplicate key';
      continue;
    }
    const e = checkValue(`${param}.${k}`, spec, v);
    if (Object.keys(e).length > 0) Object.assign(errors, e);
    map[k] = spec.type === 'boolean' ? String(parseBoolean(v) ?? v) : v;
  }
  for (const [k, spec] of Object.entries(fmtDef.keys)) {
    if (spec.required && map[k] === undefined)
      errors[`${param}.${k}`] = 'property is missing and it is not optional';
  }
  if (Object.keys(errors).length > 0) {
    errors[param] ??= 'invalid format - format error';
    return { ok: false, errors };
  }
  return { ok: true, map };
}

/** Prints a property string: default key first (bare), then required keys, then the rest sorted. */
export function printPropString(fmtDef: PropFormat, map: Record<string, string>, bareDefault = true): string {
  const parts: string[] = [];
  const done = new Set<string>();
  const dk = fmtDef.defaultKey;
  if (dk && map[dk] !== undefined) {
    parts.push(bareDefault ? map[dk] : `${dk}=${map[dk]}`);
    done.add(dk);
  }
  const req = Object.keys(fmtDef.keys)
    .filter((k) => fmtDef.keys[k]!.required && !done.has(k))
    .sort();
  for (const k of req) {
    if (map[k] !== undefined) parts.push(`${k}=${map[k]}`);
    done.add(k);
  }
  for (const k of Object.keys(map).sort()) {
    if (!done.has(k)) parts.push(`${k}=${map[k]}`);
  }
  return parts.join(',');
}

export const propCheck =
  (f: PropFormat): Checker =>
  (v, k) => {
    const r = parsePropString(f, v, k);
    return r.ok ? undefined : r.errors;
  };

// ---- pct formats -------------------------------------------------------------------------------------------

export const lxcNetFormat: PropFormat = {
  keys: {
    name: { type: 'string', pattern: /[-_.\w\d]+/, required: true },
    bridge: { type: 'string', pattern: /[-_.\w\d]+/ },
    hwaddr: macSpec,
    mtu: int(64, 65535),
    ip: ipv4ConfigSpec,
    gw: ipv4Spec,
    ip6: ipv6ConfigSpec,
    gw6: ipv6Spec,
    firewall: bool,
    link_down: bool,
    tag: int(1, 4094),
    trunks: { type: 'string', pattern: /\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*/ },
    rate: { type: 'number', min: 0 },
    type: { type: 'string', enum: ['veth'] },
  },
};

const mpCommon: PropFormat['keys'] = {
  acl: bool,
  mountoptions: {
    type: 'string',
    pattern:
      /(?:noatime|lazytime|nodev|nosuid|noexec|discard)(?:;(?:noatime|lazytime|nodev|nosuid|noexec|discard))*/,
  },
  quota: bool,
  replicate: bool,
  ro: bool,
  shared: bool,
  size: diskSizeSpec,
};
export const rootfsFormat: PropFormat = {
  defaultKey: 'volume',
  keys: { volume: { type: 'string', required: true }, ...mpCommon },
};
export const mpFormat: PropFormat = {
  defaultKey: 'volume',
  keys: {
    volume: { type: 'string', required: true },
    mp: {
      type: 'string',
      required: true,
      check: (v, k) =>
        /\/\.\.?\/|\/\.\.?$|^\.\.\//.test(v)
          ? { [k]: `invalid format - ${v} contains illegal character sequences` }
          : undefined,
    },
    backup: bool,
    ...mpCommon,
  },
};
/** The format of a CT volume key: `rootfs` or `mpN`. */
export function mountFormat(key: string): PropFormat {
  return key === 'rootfs' ? rootfsFormat : mpFormat;
}
export const lxcFeaturesFormat: PropFormat = {
  keys: {
    fuse: bool,
    keyctl: bool,
    mknod: bool,
    nesting: bool,
    force_rw_sys: bool,
    mount: { type: 'string', pattern: /[a-zA-Z0-9_; ]+/ },
  },
};
export const startupFormat: PropFormat = {
  defaultKey: 'order',
  keys: { order: int(0), up: int(0), down: int(0) },
};

// ---- qm formats --------------------------------------------------------------------------------------------

export const NIC_MODELS = [
  'e1000',
  'e1000-82540em',
  'e1000-82544gc',
  'e1000-82545em',
  'e1000e',
  'i82551',
  'i82557b',
  'i82559er',
  'ne2k_isa',
  'ne2k_pci',
  'pcnet',
  'rtl8139',
  'virtio',
  'vmxnet3',
];
export const qmNetFormat: PropFormat = {
  aliasKeys: Object.fromEntries(NIC_MODELS.map((m) => [m, m])),
  keys: {
    model: { type: 'string', enum: NIC_MODELS },
    macaddr: macSpec,
    bridge: { type: 'string', pattern: /[-_.\w\d]+/ },
    firewall: bool,
    link_down: bool,
    mtu: int(1, 65520),
    queues: int(0, 64),
    rate: { type: 'number', min: 0 },
    tag: int(1, 4094),
    trunks: { type: 'string', pattern: /\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*/ },
  },
};
export const driveFormat: PropFormat = {
  defaultKey: 'file',
  keys: {
    file: { type: 'string', required: true },
    'import-from': str,
    media: { type: 'string', enum: ['cdrom', 'disk'] },
    size: diskSizeSpec,
    format: { type: 'string', enum: ['raw', 'cow', 'qcow', 'qed', 'qcow2', 'vmdk', 'cloop'] },
    cache: { type: 'string', enum: ['none', 'writethrough', 'writeback', 'unsafe', 'directsync'] },
    discard: { type: 'string', enum: ['ignore', 'on'] },
    iothread: bool,
    ssd: bool,
    backup: bool,
    replicate: bool,
    ro: bool,
    serial: str,
    aio: { type: 'string', enum: ['native', 'threads', 'io_uring'] },
    cyls: int(),
    heads: int(),
    secs: int(),
    trans: str,
    snapshot: bool,
    shared: bool,
    wwn: str,
    werror: str,
    rerror: str,
    detect_zeroes: bool,
    queues: int(2, 16),
    mbps: { type: 'number' },
    iops: int(),
  },
};
export const agentFormat: PropFormat = {
  defaultKey: 'enabled',
  keys: {
    enabled: bool,
    fstrim_cloned_disks: bool,
    type: { type: 'string', enum: ['virtio', 'isa'] },
    freeze_fs_on_backup: bool,
  },
};
export const ipconfigFormat: PropFormat = {
  keys: {
    ip: ipv4ConfigSpec,
    gw: ipv4Spec,
    ip6: ipv6ConfigSpec,
    gw6: ipv6Spec,
  },
};
export const bootFormat: PropFormat = {
  defaultKey: 'legacy',
  keys: {
    legacy: { type: 'string', pattern: /[acdn]{1,4}/ },
    order: { type: 'string', pattern: /[a-z]+\d+(?:;[a-z]+\d+)*/ },
  },
};
export const vgaFormat: PropFormat = {
  defaultKey: 'type',
  keys: {
    type: {
      type: 'string',
      enum: [
        'cirrus',
        'none',
        'qxl',
        'qxl2',
        'qxl3',
        'qxl4',
        'serial0',
        'serial1',
        'serial2',
        'serial3',
        'std',
        'virtio',
        'virtio-gl',
        'vmware',
      ],
    },
    memory: int(4, 512),
    clipboard: { type: 'string', enum: ['vnc'] },
  },
};
export const smbiosFormat: PropFormat = {
  keys: {
    uuid: str,
    base64: bool,
    family: str,
    manufacturer: str,
    product: str,
    serial: str,
    sku: str,
    version: str,
  },
};
export const cicustomFormat: PropFormat = { keys: { meta: str, network: str, user: str, vendor: str } };

export const GiB = 1024 ** 3;

/** Size in bytes from `[+]N[.N][KMGT]`: no unit = bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(s);
  if (!m) return NaN;
  const mult = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2] ?? ''] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

/** PVE::JSONSchema::format_size: the largest unit that divides the size exactly. */
export function formatSize(bytes: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let u = 0;
  while (u < 4 && v % 1024 === 0 && v > 0) {
    v /= 1024;
    u++;
  }
  return `${v}${units[u]}`;
}
