// The VM settings `configure` owns, computed once from the guest's config (inputs, check, preview and action all
// derive from desiredVm() and diffVm()), plus the grow-only boot disk size.
import path from 'node:path';
import type { VmGuest } from '../config/model.js';
import type { LiveGuest } from '../host/live.js';
import { diffKeys, nameserverKey, propsKey, simpleKey, startupKey } from './managed-key.js';
import type { KeyChanges, ManagedKey } from './managed-key.js';
import { hashPassword, passwordMatches, PVE_PASSWORD_MASK } from './cipassword.js';
import { GIB, diskSizeBytes, formatSize, parseProps, printProps } from '../host/props.js';
import type { Props } from '../host/props.js';

/** `ip=10.0.0.5/24,gw=10.0.0.1` (or `ip=dhcp`). */
export function vmIpconfig0(g: VmGuest): Props {
  const net = g.config.network_config;
  const props: Props = new Map([['ip', net?.ip ?? 'dhcp']]);
  if (net?.gw !== undefined) props.set('gw', net.gw);
  return props;
}

/** The SSH key file handed to `qm create/set --sshkeys` (a file path on the CLI), in the step's private folder. */
export const SSH_KEYS_FILE = 'sshkeys.pub';

/** The configured password, as Proxmox gets it (a crypt hash) and compares it (against the stored hash). */
function passwordKey(password: string): ManagedKey {
  return {
    key: 'cipassword',
    desired: '(the configured password)',
    secret: true,
    // `qm config` masks the hash; only the config file (what Phoenix reads on the node) can be checked.
    same: (live) => live === PVE_PASSWORD_MASK || (live !== undefined && passwordMatches(password, live)),
    valueFor: () => hashPassword(password),
  };
}

/** net0: Phoenix manages the bridge; the model and the MAC Proxmox generated are kept. */
function net0Key(g: VmGuest): ManagedKey {
  const bridge = g.config.network_bridge;
  return {
    key: 'net0',
    desired: `virtio,bridge=${bridge}`,
    same: (live) => parseProps(live).get('bridge') === bridge,
    valueFor(live) {
      const props = parseProps(live);
      if (props.size === 0) return `virtio,bridge=${bridge}`;
      props.set('bridge', bridge);
      return printProps(props);
    },
  };
}

function sshKeysKey(key: string, dir: string): ManagedKey {
  const content = `${key.trim()}\n`;
  return {
    key: 'sshkeys',
    desired: key.trim(),
    // Proxmox stores the key text URL-encoded (`ssh-ed25519%20AAAA...%0A`).
    same(live) {
      try {
        return live !== undefined && decodeURIComponent(live).trim() === key.trim();
      } catch {
        return false;
      }
    },
    valueFor: () => path.join(dir, SSH_KEYS_FILE),
    file: { name: SSH_KEYS_FILE, content },
  };
}

/**
 * Every config key `configure` manages for this VM. `dir`: the folder files named on the command line are written to
 * (the private folder while the step runs, TEMP_DIR_PLACEHOLDER in previews and checks).
 */
export function desiredVm(g: VmGuest, dir: string): ManagedKey[] {
  const c = g.config;
  const keys: ManagedKey[] = [
    simpleKey('name', c.name),
    simpleKey('memory', String(c.memory_mb), '512'),
    simpleKey('cores', String(c.cores), '1'),
    simpleKey('onboot', c.start_at_boot ? '1' : '0', '0'),
    startupKey(c.boot_order, c.boot_delay, c.shutdown_timeout),
    net0Key(g),
    propsKey('ipconfig0', vmIpconfig0(g)),
  ];
  const ns = c.network_config?.nameservers;
  if (ns !== undefined) keys.push(nameserverKey(ns));
  if (c.user_config !== undefined) {
    keys.push(simpleKey('ciuser', c.user_config.username));
    const password = c.user_config.password;
    if (password !== undefined && password !== '') keys.push(passwordKey(password));
    const sshKey = c.user_config.ssh_public_key;
    if (sshKey !== undefined && sshKey.trim() !== '') keys.push(sshKeysKey(sshKey, dir));
  }
  return keys;
}

/** The boot disk's config key: the first of scsi0, virtio0, sata0, ide0 that is not a CD-ROM. */
export function bootDiskKey(config: Record<string, string> | undefined): string | undefined {
  if (!config) return undefined;
  return ['scsi0', 'virtio0', 'sata0', 'ide0'].find((k) => {
    const v = config[k];
    return v !== undefined && parseProps(v, 'volume').get('media') !== 'cdrom';
  });
}

export interface DiskState {
  key: string;
  actual: number;
  desired: number;
}

/** The boot disk's size against `disk_size_gb` (undefined when the config has no readable disk). */
export function vmDisk(g: VmGuest, config: Record<string, string> | undefined): DiskState | undefined {
  const key = bootDiskKey(config);
  const actual = key ? diskSizeBytes(config?.[key]) : undefined;
  if (key === undefined || actual === undefined) return undefined;
  return { key, actual, desired: g.config.disk_size_gb * GIB };
}

export interface VmChanges extends KeyChanges {
  /** `qm disk resize` needed: the boot disk is smaller than disk_size_gb. */
  grow?: { key: string; size: string };
  /** The boot disk is larger than configured: never shrunk. */
  shrink?: string;
}

/** Only what differs from the live VM. */
export function diffVm(g: VmGuest, live: Pick<LiveGuest, 'config'>, dir: string): VmChanges {
  const out: VmChanges = diffKeys(desiredVm(g, dir), live.config ?? {});
  const disk = vmDisk(g, live.config);
  if (disk && disk.actual !== disk.desired) {
    out.diffs.push({
      field: `${disk.key} size`,
      actual: formatSize(disk.actual),
      desired: formatSize(disk.desired),
    });
    if (disk.actual < disk.desired) out.grow = { key: disk.key, size: `${g.config.disk_size_gb}G` };
    else
      out.shrink = `${disk.key} is ${formatSize(disk.actual)}, larger than disk_size_gb ${formatSize(disk.desired)}: disks are never shrunk`;
  }
  return out;
}
