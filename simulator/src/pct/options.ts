// The pct option schema (PVE::LXC::Config confdesc plus the create/set/clone-only parameters).
import { bool, str, type OptSpec } from '../getopt.js';
import {
  dnsNameSpec,
  lxcFeaturesFormat,
  lxcNetFormat,
  mpFormat,
  propCheck,
  rootfsFormat,
  startupFormat,
  storageIdSpec,
} from '../props.js';

export function lxcConfigOptions(): Record<string, OptSpec> {
  const o: Record<string, OptSpec> = {
    arch: { type: 'string', enum: ['amd64', 'i386', 'arm64', 'armhf', 'riscv32', 'riscv64'] },
    cmode: { type: 'string', enum: ['shell', 'console', 'tty'] },
    console: bool,
    cores: { type: 'integer', min: 1, max: 8192 },
    cpulimit: { type: 'number', min: 0, max: 8192 },
    cpuunits: { type: 'integer', min: 0, max: 500000 },
    debug: bool,
    description: str,
    entrypoint: str,
    env: str,
    features: { type: 'string', check: propCheck(lxcFeaturesFormat) },
    hookscript: str,
    hostname: dnsNameSpec,
    lock: {
      type: 'string',
      enum: [
        'backup',
        'create',
        'destroyed',
        'disk',
        'fstrim',
        'migrate',
        'mounted',
        'rollback',
        'snapshot',
        'snapshot-delete',
      ],
    },
    memory: { type: 'integer', min: 16 },
    nameserver: str,
    onboot: bool,
    ostype: {
      type: 'string',
      enum: [
        'debian',
        'devuan',
        'ubuntu',
        'centos',
        'fedora',
        'opensuse',
        'archlinux',
        'alpine',
        'gentoo',
        'nixos',
        'unmanaged',
      ],
    },
    protection: bool,
    rootfs: { type: 'string', check: propCheck(rootfsFormat) },
    searchdomain: str,
    startup: { type: 'string', check: propCheck(startupFormat) },
    swap: { type: 'integer', min: 0 },
    tags: { type: 'string', pattern: /[a-zA-Z0-9_+.-]+(?:[;, ][a-zA-Z0-9_+.-]+)*/ },
    template: bool,
    timezone: str,
    tty: { type: 'integer', min: 0, max: 6 },
    unprivileged: bool,
  };
  for (let i = 0; i < 32; i++) o[`net${i}`] = { type: 'string', check: propCheck(lxcNetFormat) };
  for (let i = 0; i < 256; i++) {
    o[`mp${i}`] = { type: 'string', check: propCheck(mpFormat) };
    o[`unused${i}`] = str;
    o[`dev${i}`] = str;
  }
  return o;
}

export function lxcCreateOptions(): Record<string, OptSpec> {
  return {
    ...lxcConfigOptions(),
    bwlimit: { type: 'number', min: 0 },
    force: bool,
    'ignore-unpack-errors': bool,
    password: {
      type: 'string',
      check: (v, k) => (v.length < 5 ? { [k]: 'value must be at least 5 characters long' } : undefined),
    },
    pool: str,
    restore: bool,
    'ssh-public-keys': str,
    start: bool,
    storage: storageIdSpec,
    unique: bool,
  };
}

export function lxcSetOptions(): Record<string, OptSpec> {
  return {
    ...lxcConfigOptions(),
    delete: { type: 'string', pattern: /[a-z][a-z0-9_.-]*(?:[,; ][a-z][a-z0-9_.-]*)*/ },
    revert: { type: 'string', pattern: /[a-z][a-z0-9_.-]*(?:[,; ][a-z][a-z0-9_.-]*)*/ },
    digest: { type: 'string', pattern: /[a-fA-F0-9]{1,40}/ },
  };
}

/** Options applied to a running CT at once; everything else waits in [pve:pending] until the next start. */
export const LXC_HOTPLUG =
  /^(description|onboot|startup|protection|hostname|hookscript|cores|tags|lock|timezone|memory|swap|cpulimit|cpuunits|net\d+|mp\d+|unused\d+)$/;
