// The simulator's realism controls: node name, latencies, storages, catalogue, staleness, faults and exec
// outcomes. Read from `$PHOENIX_SIM_DIR/sim.json` (optional) on every call, with env overrides.
import { createHash } from 'node:crypto';
import { readText } from './file-reads.js';
import { join } from 'node:path';

export type StorageType = 'dir' | 'lvmthin' | 'lvm' | 'zfspool' | 'nfs';
export type ContentType = 'images' | 'rootdir' | 'vztmpl' | 'iso' | 'backup' | 'snippets' | 'import';

export interface StorageDef {
  type: StorageType;
  content: ContentType[];
  /** Mount path for file-based storages (dir, nfs); default /mnt/pve/<sid>, /var/lib/vz for `local`. */
  path?: string;
  /** Capacity in KiB (what `pvesm status` reports as Total). */
  totalKiB?: number;
  disabled?: boolean;
  /** One set of volumes seen by every node (default: true for nfs, false otherwise), as storage.cfg's `shared`. */
  shared?: boolean;
  /** The nodes that have it (storage.cfg's `nodes`); default every node. */
  nodes?: string[];
}

export interface TemplateDef {
  /** `system`, `mail` or `turnkeylinux`. */
  section: string;
  /** File name, e.g. debian-12-standard_12.12-1_amd64.tar.zst. */
  name: string;
  /** Size in bytes of the downloaded archive. */
  size: number;
}

export interface CloudImageDef {
  url: string;
  /** File size in bytes. */
  size: number;
  /** Virtual disk size in bytes (what an import produces). */
  virtualSize: number;
  /**
   * The checksum the publisher lists for the file (Ubuntu: SHA256SUMS, Debian: SHA512SUMS beside it), which
   * download-url's `--checksum` is checked against and `wget -q -O - <SUMS url>` prints on the simulated node. The
   * defaults are stand-ins (a digest of the URL), not the real images' sums.
   */
  checksum?: { algorithm: 'sha256' | 'sha512'; value: string };
  /** Whether the image ships the QEMU guest agent (the official cloud images do not). */
  guestAgent?: boolean;
}

export interface FaultRule {
  /** Regex tested against `tool arg1 arg2 ...` (argv joined by single spaces). */
  match: string;
  /** Fail only the Nth matching call (1-based). */
  nth?: number;
  /** Fail the first K matching calls, then succeed. */
  times?: number;
  action: 'fail' | 'hang' | 'lock';
  /** `early` (default): fail before anything happens. `task`: the pre-checks pass, then the task fails
   * (commands that do not check their task still exit 0, like the real ones). */
  phase?: 'early' | 'task';
  exit?: number;
  stderr?: string;
}

export interface ExecRule {
  /** Regex tested against the command run inside the guest, joined by single spaces. */
  match: string;
  guest?: number;
  exit: number;
  stdout?: string;
  stderr?: string;
  /** Apply to the first K matching runs only, then fall through to later rules / the default (exit 0). */
  times?: number;
}

/** Latencies in ms at scale 1. Every call pays `startup`; operations add their own entry. */
export const DEFAULT_LATENCY = {
  startup: 300,
  pctCreate: 6000,
  pctClone: 2000,
  pctFullClone: 8000,
  start: 2000,
  stop: 1000,
  shutdown: 3000,
  reboot: 4000,
  destroy: 1500,
  snapshot: 1000,
  delsnapshot: 800,
  rollback: 1500,
  template: 1000,
  resize: 500,
  push: 200,
  pull: 200,
  exec: 100,
  qmCreate: 1500,
  qmClone: 2000,
  qmFullClone: 10000,
  diskImport: 8000,
  agentCmd: 50,
  agentPingTimeout: 3000,
  cloudinitUpdate: 300,
  pveamDownload: 5000,
  downloadUrl: 10000,
  flockWait: 10000,
  flockWaitCreate: 5000,
};
export type LatencyKey = keyof typeof DEFAULT_LATENCY;

export interface SimConfig {
  /** The node of a one-node state (when `nodes` is not given). */
  node: string;
  /** The cluster's nodes (a fresh state starts with them; nodes added later join). The first is the default. */
  nodes?: string[];
  /** 0 = no latency at all (unit tests), 1 = realistic. Env PHOENIX_SIM_LATENCY_SCALE overrides. */
  latencyScale: number;
  latency: Partial<Record<LatencyKey, number>>;
  /** ms after `qm start` before the guest agent answers (multiplied by latencyScale). */
  agentReadyAfterMs: number;
  /** How far `pvesh get /cluster/resources` lags behind, in ms (multiplied by latencyScale). */
  resourcesStaleMs: number;
  /** Added to (or overriding) the default storages `local` and `local-lvm`. */
  storages: Record<string, StorageDef>;
  /** OS templates `pveam available` lists. Replaces the default list when given. */
  catalog: TemplateDef[];
  /** Cloud images downloadable with `pvesh create .../download-url`, keyed by URL. Added to the defaults. */
  cloudImages: Record<string, CloudImageDef>;
  faults: FaultRule[];
  exec: ExecRule[];
  /**
   * Guests whose OS ignores a clean shutdown request (no ACPI handling, a hung service): `pct shutdown` /
   * `qm shutdown` wait their timeout, then stop them hard with `--forceStop 1` or fail without it.
   */
  ignoresShutdown: number[];
  /**
   * The API token's privileges by ACL path, each propagating to the paths below it (as `pveum acl modify` grants
   * by default); unset: the token is root's and holds every privilege. Only `/access/permissions` reads it: the
   * other calls do not check privileges (a guess kept simple; see docs/simulator.md).
   */
  tokenPrivileges?: Record<string, string[]>;
}

/**
 * A fresh Proxmox VE 9 node installed on ext4/xfs with LVM-thin (pve-installer `Proxmox/Install/StorageConfig.pm`
 * `get_lvm_thin_config`, since proxmox-installer 9.0.7): `local` holds iso, vztmpl, backup and import, **not**
 * snippets; `local-lvm` holds guest disks. A host upgraded from PVE 8 keeps `local` at iso,vztmpl,backup: give
 * `storages: {"local": {...}}` in sim.json to model it.
 */
export const DEFAULT_STORAGES: Record<string, StorageDef> = {
  local: {
    type: 'dir',
    content: ['iso', 'vztmpl', 'backup', 'import'],
    path: '/var/lib/vz',
    totalKiB: 98497780,
  },
  'local-lvm': { type: 'lvmthin', content: ['rootdir', 'images'], totalKiB: 362520576 },
};

const MB = 1024 * 1024;
/**
 * What `pveam available` lists on a fresh node: the template index pve-manager ships (`aplinfo/aplinfo.dat`, as of
 * pve-manager 9.2.11), which `debian/postinst` installs until the first `pveam update` replaces it. Only the names
 * and sections come from that file; the sizes are rough guesses (the index carries checksums, not sizes). Names
 * leave the index when a newer build replaces them (`debian-12-standard_12.7-1` did in 2025), so
 * `pveam download` of an old name fails with `template: no such template`.
 */
export const DEFAULT_CATALOG: TemplateDef[] = [
  ['mail', 'proxmox-mail-gateway-8.2-standard_8.2-1_amd64.tar.zst', 512],
  ['mail', 'proxmox-mail-gateway-9.1-standard_9.1-1_amd64.tar.zst', 540],
  ['system', 'almalinux-10-default_20250930_amd64.tar.xz', 100],
  ['system', 'almalinux-9-default_20240911_amd64.tar.xz', 98],
  ['system', 'alpine-3.22-default_20250617_amd64.tar.xz', 3],
  ['system', 'alpine-3.23-default_20260116_amd64.tar.xz', 3],
  ['system', 'alpine-3.24-default_20260714_amd64.tar.xz', 3],
  ['system', 'archlinux-base_20260420-1_amd64.tar.zst', 160],
  ['system', 'centos-10-stream-default_20260713_amd64.tar.xz', 95],
  ['system', 'centos-9-stream-default_20240828_amd64.tar.xz', 100],
  ['system', 'debian-12-standard_12.12-1_amd64.tar.zst', 126],
  ['system', 'debian-13-standard_13.6-1_amd64.tar.zst', 131],
  ['system', 'devuan-5.0-standard_5.0_amd64.tar.gz', 110],
  ['system', 'fedora-43-default_20260115_amd64.tar.xz', 92],
  ['system', 'fedora-44-default_20260713_amd64.tar.xz', 93],
  ['system', 'gentoo-current-openrc_20250508_amd64.tar.xz', 250],
  ['system', 'openeuler-25.03-default_20250507_amd64.tar.xz', 80],
  ['system', 'opensuse-15.6-default_20240910_amd64.tar.xz', 60],
  ['system', 'opensuse-16.0-default_20260116_amd64.tar.xz', 65],
  ['system', 'rockylinux-10-default_20251001_amd64.tar.xz', 105],
  ['system', 'rockylinux-9-default_20240912_amd64.tar.xz', 103],
  ['system', 'ubuntu-22.04-standard_22.04-1_amd64.tar.zst', 129],
  ['system', 'ubuntu-24.04-standard_24.04-2_amd64.tar.zst', 141],
  ['system', 'ubuntu-25.04-standard_25.04-1.1_amd64.tar.zst', 145],
  ['system', 'ubuntu-26.04-standard_26.04-1_amd64.tar.zst', 150],
].map(([section, name, mb]) => ({ section: String(section), name: String(name), size: Number(mb) * MB }));

const GB = 1024 * MB;

/** A fixed stand-in for a published checksum: the digest of the URL (the simulator has no image bytes). */
function standInSum(
  algorithm: 'sha256' | 'sha512',
  url: string,
): { algorithm: 'sha256' | 'sha512'; value: string } {
  return { algorithm, value: createHash(algorithm).update(url).digest('hex') };
}

function image(
  url: string,
  size: number,
  virtualSize: number,
  algorithm: 'sha256' | 'sha512',
): CloudImageDef {
  return { url, size, virtualSize, checksum: standInSum(algorithm, url), guestAgent: false };
}

const UBUNTU = 'https://cloud-images.ubuntu.com';
const DEBIAN = 'https://cloud.debian.org/images/cloud';
export const DEFAULT_CLOUD_IMAGES: Record<string, CloudImageDef> = Object.fromEntries(
  [
    image(`${UBUNTU}/noble/current/noble-server-cloudimg-amd64.img`, 590 * MB, 3.5 * GB, 'sha256'),
    image(`${UBUNTU}/jammy/current/jammy-server-cloudimg-amd64.img`, 650 * MB, 2.2 * GB, 'sha256'),
    image(`${DEBIAN}/bookworm/latest/debian-12-genericcloud-amd64.qcow2`, 330 * MB, 3 * GB, 'sha512'),
    image(`${DEBIAN}/trixie/latest/debian-13-genericcloud-amd64.qcow2`, 340 * MB, 3 * GB, 'sha512'),
  ].map((i) => [i.url, i]),
);

/** The checksum file beside a cloud image (`SHA256SUMS`, `SHA512SUMS`), as its publisher names it. */
export function checksumFileUrl(img: CloudImageDef): string | undefined {
  if (!img.checksum) return undefined;
  return `${img.url.slice(0, img.url.lastIndexOf('/'))}/${img.checksum.algorithm.toUpperCase()}SUMS`;
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  node: 'pve',
  latencyScale: 1,
  latency: {},
  agentReadyAfterMs: 5000,
  resourcesStaleMs: 10000,
  storages: {},
  catalog: DEFAULT_CATALOG,
  cloudImages: {},
  faults: [],
  exec: [],
  ignoresShutdown: [],
};

export const SIM_CONFIG_FILE = 'sim.json';

/** Reads sim.json (if any) merged over the defaults, then the env overrides. */
export function loadSimConfig(dir: string, env: NodeJS.ProcessEnv = process.env): SimConfig {
  let raw: Partial<SimConfig> = {};
  try {
    raw = JSON.parse(readText(join(dir, SIM_CONFIG_FILE))) as Partial<SimConfig>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const cfg: SimConfig = { ...DEFAULT_SIM_CONFIG, ...raw };
  const envScale = env.PHOENIX_SIM_LATENCY_SCALE;
  if (envScale !== undefined && envScale !== '' && Number.isFinite(Number(envScale))) {
    cfg.latencyScale = Number(envScale);
  }
  return cfg;
}

export function allStorages(cfg: SimConfig): Record<string, StorageDef> {
  return { ...DEFAULT_STORAGES, ...cfg.storages };
}

export function allCloudImages(cfg: SimConfig): Record<string, CloudImageDef> {
  return { ...DEFAULT_CLOUD_IMAGES, ...cfg.cloudImages };
}

/** Latency of an operation in ms, after scaling. */
export function latencyMs(cfg: SimConfig, key: LatencyKey): number {
  const base = cfg.latency[key] ?? DEFAULT_LATENCY[key];
  return Math.max(0, base * cfg.latencyScale);
}
