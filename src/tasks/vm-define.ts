// How a VM comes into existence: `qm clone` from its source (a linked clone of a template, or a full clone from
// a snapshot), or `qm create` importing a cloud image. Pure: argv and fields from the config alone.
import path from 'node:path';
import type { Fleet, VmGuest } from '../config/model.js';
import type { LiveState } from '../host/live.js';
import { printProps } from '../host/props.js';
import { fieldOrigin } from './act.js';
import type { Argv, HostNeed } from './step.js';
import { hashPassword, PVE_PASSWORD_MASK } from './cipassword.js';
import { desiredVm, SSH_KEYS_FILE, vmIpconfig0 } from './vm-desired.js';
import type { TempFiles } from '../host/temp-files.js';
import { nameserverList } from './managed-key.js';

/** The cloud image: a volid on `local` (content `import`), or an absolute path on the host. */
export type CloudImage = { volid: string; file: string } | { path: string };

/** Extensions Proxmox accepts for `import` content (download-url and `pvesm list --content import`). */
const IMPORT_EXT = /\.(ova|ovf|qcow2|raw|vmdk)$/;

/**
 * The file name on `local:import/`. Proxmox refuses other extensions there, so a cloud image published as `.img`
 * (Ubuntu's are qcow2 inside) is stored as `.qcow2`.
 */
export function importFileName(image: string): string {
  if (IMPORT_EXT.test(image)) return image;
  return image.endsWith('.img') ? `${image.slice(0, -'.img'.length)}.qcow2` : `${image}.qcow2`;
}

export function cloudImage(image: string): CloudImage {
  if (image.startsWith('/')) return { path: image };
  const file = importFileName(image);
  return { volid: `local:import/${file}`, file };
}

export type VmDefinition =
  | { how: 'clone'; source: number; argv: Argv }
  | { how: 'create'; image: CloudImage; argv: Argv; files: TempFiles }
  | { how: 'invalid'; message: string };

interface CloneSource {
  template: boolean;
  snapname?: string;
  pool?: string;
}

function cloneSource(id: number, fleet: Fleet, live: LiveState): CloneSource {
  const src = fleet.guests.get(id);
  if (src?.kind === 'vm') {
    const snap = src.config.template_snapshot_name;
    const base = { template: src.config.is_template, pool: src.config.storage_pool };
    return !src.config.is_template && snap !== undefined ? { ...base, snapname: snap } : base;
  }
  return { template: live.guests.get(id)?.template ?? false };
}

/**
 * `qm clone`: a template gives a linked clone (`--full 1 --storage` only when the pool differs); a normal VM is
 * cloned in full, from its template snapshot when it has one.
 */
export function vmCloneArgv(g: VmGuest, fleet: Fleet, live: LiveState): Argv {
  // The guest it is really cloned from: its clone_from_vmid, or that template's copy on its node (node_copies).
  const source = g.cloneFrom ?? g.config.clone_from_vmid;
  if (source === undefined) throw new Error('not a clone');
  const src = cloneSource(source, fleet, live);
  const argv = ['qm', 'clone', String(source), String(g.id), '--name', g.config.name];
  if (src.snapname !== undefined) argv.push('--snapname', src.snapname);
  const otherPool = src.pool !== undefined && src.pool !== g.config.storage_pool;
  // A per-node copy is a template of its own: a full clone, never linked to the template it copies (F16.5).
  if (!src.template || otherPool || g.copyOf !== undefined) argv.push('--full', '1');
  if (otherPool) argv.push('--storage', g.config.storage_pool);
  return argv;
}

/**
 * `qm create` importing the cloud image, with a cloud-init drive, serial console and the guest agent. `dir` holds
 * the files vmCreateFiles names (the step's private folder).
 */
export function vmCreateArgv(g: VmGuest, image: CloudImage, dir: string): Argv {
  const c = g.config;
  const pool = c.storage_pool;
  const from = 'path' in image ? image.path : image.volid;
  const argv = [
    'qm',
    'create',
    String(g.id),
    '--name',
    c.name,
    '--memory',
    String(c.memory_mb),
    '--cores',
    String(c.cores),
    '--net0',
    `virtio,bridge=${c.network_bridge}`,
    '--scsihw',
    'virtio-scsi-pci',
    '--scsi0',
    `${pool}:0,import-from=${from}`,
    '--ide2',
    `${pool}:cloudinit`,
    '--boot',
    'order=scsi0',
    '--serial0',
    'socket',
    '--vga',
    'serial0',
    '--agent',
    'enabled=1',
  ];
  if (c.user_config !== undefined) argv.push('--ciuser', c.user_config.username);
  // A crypt hash, never the password itself: Proxmox stores a hash as it is, and argv is visible to every user.
  if (c.user_config?.password) argv.push('--cipassword', hashPassword(c.user_config.password));
  argv.push('--ipconfig0', printProps(vmIpconfig0(g)));
  const ns = c.network_config?.nameservers;
  if (ns !== undefined) argv.push('--nameserver', nameserverList(ns));
  if (sshKeyOf(g) !== undefined) argv.push('--sshkeys', path.join(dir, SSH_KEYS_FILE));
  return argv;
}

/** The files `qm create` reads (the SSH key file), name -> content. */
export function vmCreateFiles(g: VmGuest): TempFiles {
  const key = sshKeyOf(g);
  return key === undefined ? {} : { [SSH_KEYS_FILE]: `${key}\n` };
}

function sshKeyOf(g: VmGuest): string | undefined {
  const key = g.config.user_config?.ssh_public_key?.trim();
  return key === undefined || key === '' ? undefined : key;
}

export function vmDefinition(g: VmGuest, fleet: Fleet, live: LiveState, dir: string): VmDefinition {
  const source = g.cloneFrom ?? g.config.clone_from_vmid;
  if (source !== undefined) return { how: 'clone', source, argv: vmCloneArgv(g, fleet, live) };
  if (g.config.template_image === undefined) {
    return { how: 'invalid', message: `VM ${g.id} has neither template_image nor clone_from_vmid` };
  }
  const image = cloudImage(g.config.template_image);
  return { how: 'create', image, argv: vmCreateArgv(g, image, dir), files: vmCreateFiles(g) };
}

/** What defining the VM needs on the host: its disk storage and, for a cloud image on `local`, import content. */
export function vmDefineNeeds(g: VmGuest, fleet: Fleet, live: LiveState, dir: string): HostNeed[] {
  const def = vmDefinition(g, fleet, live, dir);
  const guest = `VM ${g.id}`;
  const disk: HostNeed = {
    kind: 'content',
    storage: g.config.storage_pool,
    content: 'images',
    guest,
    where: fieldOrigin(g, 'storage_pool'),
    why: 'VM disks',
  };
  if (def.how === 'create') {
    if ('path' in def.image) return [disk];
    // pvesh create .../download-url refuses a storage without it (pve-storage API2/Storage/Status.pm
    // download_url), and `pvesm list --content import` lists nothing there (Storage.pm volume_list).
    const image: HostNeed = {
      kind: 'content',
      storage: 'local',
      content: 'import',
      guest,
      where: fieldOrigin(g, 'template_image'),
      why: 'cloud images imported into VM disks',
    };
    return [disk, image];
  }
  return def.how === 'clone' && def.argv.includes('--storage') ? [disk] : [];
}

/** The fields that decide what the VM is; changing one means replacing it (the planner blocks). */
export function vmDefineInputs(g: VmGuest, fleet: Fleet): Record<string, unknown> {
  const c = g.config;
  if (c.clone_from_vmid !== undefined) {
    const src = fleet.guests.get(c.clone_from_vmid);
    const snap =
      src?.kind === 'vm' && !src.config.is_template ? src.config.template_snapshot_name : undefined;
    return { clone_from_vmid: c.clone_from_vmid, clone_snapshot: snap, storage_pool: c.storage_pool };
  }
  return { template_image: c.template_image, storage_pool: c.storage_pool };
}

/**
 * The config a VM will have right after `define` (disk already grown), for previews of the steps after it when
 * the VM does not exist yet. A clone of a source that is not built yet inherits what the source's steps set.
 */
export function vmConfigAfterDefine(
  g: VmGuest,
  fleet: Fleet,
  live: LiveState,
  dir: string,
  depth = 0,
): Record<string, string> {
  const c = g.config;
  const source = g.cloneFrom ?? c.clone_from_vmid;
  if (source !== undefined) {
    const read = live.guests.get(source)?.config;
    const src = fleet.guests.get(source);
    if (read || src?.kind !== 'vm' || depth > 8) return { ...(read ?? {}), name: c.name };
    const config = vmConfigAfterDefine(src, fleet, live, dir, depth + 1);
    for (const k of desiredVm(src, dir))
      config[k.key] = k.file
        ? encodeURIComponent(k.file.content)
        : k.secret
          ? PVE_PASSWORD_MASK // a secret's stored form cannot be predicted, only that it will be set
          : k.valueFor(config[k.key]);
    return { ...config, name: c.name };
  }
  const config: Record<string, string> = {
    name: c.name,
    memory: String(c.memory_mb),
    cores: String(c.cores),
    net0: `virtio,bridge=${c.network_bridge}`,
    ipconfig0: printProps(vmIpconfig0(g)),
    scsi0: `${c.storage_pool}:vm-${g.id}-disk-0,size=${c.disk_size_gb}G`,
  };
  if (c.user_config !== undefined) config.ciuser = c.user_config.username;
  if (c.user_config?.password) config.cipassword = PVE_PASSWORD_MASK;
  if (c.network_config?.nameservers !== undefined) config.nameserver = c.network_config.nameservers;
  const key = sshKeyOf(g);
  if (key !== undefined) config.sshkeys = encodeURIComponent(`${key}\n`);
  return config;
}
