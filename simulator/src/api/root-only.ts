// What an API token may not do that root@pam may, for the writes the simulated API serves. A token's user is
// `user@realm!tokenid`, never the string `root@pam` both checks compare with, so even root@pam's own token is
// refused these (fact F16.1 in docs/proxmox-facts.md). Pure: the request's parameters and the guest's current
// config in, the refusal Proxmox answers with (or undefined) out.

/** An HTTP status and the message pve-http-server sends with it. */
export interface Refusal {
  status: number;
  message: string;
}

type Params = Record<string, string | string[]>;

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** pve-common Exception.pm raise_perm_exc: a 403 "Permission check failed (<what>)". */
const denied = (what: string): Refusal => ({ status: 403, message: `Permission check failed (${what})\n` });

/** `a=1,b=0` as pve-container's parse_features reads it (keys with their values). */
function features(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (value ?? '').split(',')) {
    const [k, v] = part.split('=');
    if (k) out.set(k.trim(), (v ?? '').trim());
  }
  return out;
}

/** The keys a `delete` parameter names (comma, semicolon or space separated, as PVE::Tools split_list). */
function deleted(params: Params): string[] {
  return (one(params.delete) ?? '').split(/[,;\s]+/).filter((k) => k !== '');
}

/**
 * pve-container LXC.pm check_ct_modify_config_perm, its root@pam-only branches: a mount point that is not a
 * storage volume (bind or device), device passthrough, feature flags of a privileged container or other than
 * nesting, and the hookscript. `old` is the container's current config (undefined when it is created).
 */
export function lxcRootOnly(params: Params, old: Record<string, string> | undefined): Refusal | undefined {
  const unprivileged = (old === undefined ? one(params.unprivileged) : old.unprivileged) === '1';
  const check = (key: string, value: string | undefined, isDelete: boolean): Refusal | undefined => {
    if (key === 'rootfs' || /^mp\d+$/.test(key)) {
      if (isDelete) return undefined;
      const first = (value ?? '').split(',')[0] ?? '';
      const volume = first.startsWith('volume=') ? first.slice('volume='.length) : first;
      // classify_mountpoint: an absolute path is a device under /dev/, a bind mount otherwise.
      if (volume.startsWith('/'))
        return denied(
          `mount point type ${volume.startsWith('/dev/') ? 'device' : 'bind'} is only allowed for root@pam`,
        );
      return undefined;
    }
    if (/^dev\d+$/.test(key)) return denied('configuring device passthrough is only allowed for root@pam');
    if (key === 'hookscript') return denied('changing the hookscript is only allowed for root@pam');
    if (key !== 'features') return undefined;
    if (!unprivileged)
      return denied('changing feature flags for privileged container is only allowed for root@pam');
    const before = isDelete || old?.features ? features(old?.features) : new Map<string, string>();
    const after = isDelete ? new Map<string, string>() : features(value);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
      (f) => (before.get(f) ?? '') !== (after.get(f) ?? ''),
    );
    if (changed.some((f) => f !== 'nesting'))
      return denied('changing feature flags (except nesting) is only allowed for root@pam');
    return undefined;
  };
  for (const [key, value] of Object.entries(params)) {
    if (key === 'delete') continue;
    const refused = check(key, one(value), false);
    if (refused) return refused;
  }
  for (const key of deleted(params)) {
    const refused = check(key, old?.[key], true);
    if (refused) return refused;
  }
  return undefined;
}

// qemu-server API2/Qemu.pm: the option groups $check_vm_modify_config_perm checks privileges for. Anything else
// ("args, lock, etc.", the source says) dies "only root can set '<key>' config", a plain die: HTTP 500.
const QEMU_GROUPS = new Set([
  // $cpuoptions, $memoryoptions, $hwtypeoptions
  ...['cores', 'cpu', 'runningcpu', 'cpulimit', 'cpuunits', 'numa', 'smp', 'sockets', 'vcpus'],
  ...['memory', 'balloon', 'shares', 'allow-ksm'],
  ...['acpi', 'hotplug', 'kvm', 'machine', 'runningmachine', 'scsihw', 'smbios1', 'tablet', 'vga'],
  ...['watchdog', 'audio0', 'rng0'],
  // $generaloptions
  ...['agent', 'autostart', 'bios', 'description', 'keyboard', 'localtime', 'migrate_downtime'],
  ...['migrate_speed', 'name', 'onboot', 'ostype', 'protection', 'reboot', 'startdate', 'startup', 'tdf'],
  'template',
  // $vmpoweroptions, $diskoptions, $cloudinitoptions
  ...['freeze', 'boot', 'bootdisk', 'vmstatestorage', 'vmstate', 'running-nets-host-mtu'],
  ...['cicustom', 'cipassword', 'citype', 'ciuser', 'ciupgrade', 'nameserver', 'searchdomain', 'sshkeys'],
  // checked elsewhere, value by value: cdrom and tags
  ...['cdrom', 'tags'],
]);
/** Options checked elsewhere (drives, serial and USB ports, PCI passthrough) or numbered groups. */
const QEMU_NUMBERED =
  /^(?:ide|sata|scsi|virtio|efidisk|tpmstate|unused|serial|usb|hostpci|virtiofs|numa|net|ipconfig)\d+$/;
/** Parameters update_vm_api takes out before it checks the rest (they are not config keys). */
const QEMU_UPDATE_PARAMS = new Set([
  ...['node', 'vmid', 'digest', 'delete', 'revert', 'skiplock', 'force', 'background_delay'],
  ...['skip_cloud_init', 'import-working-storage'],
]);

/** qemu-server update_vm_api: a key outside the checked groups, set or deleted, is root@pam's only. */
export function qemuUpdateRootOnly(params: Params): Refusal | undefined {
  const keys = [...Object.keys(params).filter((k) => !QEMU_UPDATE_PARAMS.has(k)), ...deleted(params)];
  const key = keys.find((k) => !QEMU_GROUPS.has(k) && !QEMU_NUMBERED.test(k));
  return key === undefined ? undefined : { status: 500, message: `only root can set '${key}' config\n` };
}
