// The qm option schema (PVE::QemuServer confdesc plus the create/set-only parameters) and the keys a running
// VM takes at once.
import { bool, int, str, type OptSpec } from '../getopt.js';
import {
  agentFormat,
  bootFormat,
  cicustomFormat,
  dnsNameSpec,
  driveFormat,
  ipconfigFormat,
  propCheck,
  qmNetFormat,
  smbiosFormat,
  startupFormat,
  storageIdSpec,
  vgaFormat,
} from '../props.js';

export const DRIVE_COUNTS: Record<string, number> = { ide: 4, sata: 6, scsi: 31, virtio: 16 };

function qmConfigOptions(): Record<string, OptSpec> {
  const drive: OptSpec = { type: 'string', check: propCheck(driveFormat) };
  const o: Record<string, OptSpec> = {
    acpi: bool,
    agent: { type: 'string', check: propCheck(agentFormat) },
    args: str,
    autostart: bool,
    balloon: int(0),
    bios: { type: 'string', enum: ['seabios', 'ovmf'] },
    boot: { type: 'string', check: propCheck(bootFormat) },
    bootdisk: { type: 'string', pattern: /(ide|sata|scsi|virtio)\d+/ },
    cicustom: { type: 'string', check: propCheck(cicustomFormat) },
    cipassword: str,
    citype: { type: 'string', enum: ['configdrive2', 'nocloud', 'opennebula'] },
    ciupgrade: bool,
    ciuser: str,
    cores: int(1),
    cpu: str,
    cpulimit: { type: 'number', min: 0, max: 128 },
    cpuunits: int(1, 262144),
    description: str,
    efidisk0: str,
    freeze: bool,
    hookscript: str,
    hotplug: str,
    hugepages: { type: 'string', enum: ['any', '2', '1024'] },
    keyboard: str,
    kvm: bool,
    localtime: bool,
    lock: {
      type: 'string',
      enum: [
        'backup',
        'clone',
        'create',
        'migrate',
        'rollback',
        'snapshot',
        'snapshot-delete',
        'suspending',
        'suspended',
      ],
    },
    machine: str,
    memory: {
      type: 'string',
      check: (v, k) =>
        (/^\d+$/.test(v) && Number(v) >= 16) || /current=/.test(v)
          ? undefined
          : /^\d+$/.test(v)
            ? { [k]: 'value must have a minimum value of 16' }
            : { [k]: `type check ('integer') failed - got '${v}'` },
    },
    meta: str,
    name: dnsNameSpec,
    nameserver: str,
    numa: bool,
    onboot: bool,
    ostype: {
      type: 'string',
      enum: [
        'other',
        'wxp',
        'w2k',
        'w2k3',
        'w2k8',
        'wvista',
        'win7',
        'win8',
        'win10',
        'win11',
        'l24',
        'l26',
        'solaris',
      ],
    },
    protection: bool,
    rng0: str,
    scsihw: {
      type: 'string',
      enum: ['lsi', 'lsi53c810', 'virtio-scsi-pci', 'virtio-scsi-single', 'megasas', 'pvscsi'],
    },
    searchdomain: str,
    shares: int(0, 50000),
    smbios1: { type: 'string', check: propCheck(smbiosFormat) },
    sockets: int(1, 4),
    sshkeys: str,
    startup: { type: 'string', check: propCheck(startupFormat) },
    tablet: bool,
    tags: { type: 'string', pattern: /[a-zA-Z0-9_+.-]+(?:[;, ][a-zA-Z0-9_+.-]+)*/ },
    template: bool,
    tpmstate0: str,
    vcpus: int(1),
    vga: { type: 'string', check: propCheck(vgaFormat) },
    vmgenid: str,
    watchdog: str,
  };
  for (const [bus, n] of Object.entries(DRIVE_COUNTS)) for (let i = 0; i < n; i++) o[`${bus}${i}`] = drive;
  for (let i = 0; i < 32; i++) {
    o[`net${i}`] = { type: 'string', check: propCheck(qmNetFormat) };
    o[`ipconfig${i}`] = { type: 'string', check: propCheck(ipconfigFormat) };
  }
  for (let i = 0; i < 4; i++) o[`serial${i}`] = { type: 'string', pattern: /(\/dev\/.+|socket)/ };
  for (let i = 0; i < 16; i++) o[`hostpci${i}`] = str;
  for (let i = 0; i < 5; i++) o[`usb${i}`] = str;
  for (let i = 0; i < 256; i++) o[`unused${i}`] = str;
  return o;
}

export const createOptions = (): Record<string, OptSpec> => ({
  ...qmConfigOptions(),
  archive: str,
  bwlimit: int(0),
  force: bool,
  'live-restore': bool,
  pool: str,
  start: bool,
  storage: storageIdSpec,
  unique: bool,
});
const listPattern = /[a-z][a-z0-9_.-]*(?:[,; ][a-z][a-z0-9_.-]*)*/;
export const setOptions = (): Record<string, OptSpec> => ({
  ...qmConfigOptions(),
  delete: { type: 'string', pattern: listPattern },
  revert: { type: 'string', pattern: listPattern },
  digest: { type: 'string', pattern: /[a-fA-F0-9]{1,40}/ },
  force: bool,
  skiplock: bool,
});

/** Applied to a running VM at once; everything else is kept in [PENDING] until the next start. */
export const VM_HOTPLUG =
  /^(name|description|onboot|startup|protection|tags|lock|hookscript|shares|ciuser|cipassword|citype|ciupgrade|cicustom|nameserver|searchdomain|sshkeys|ipconfig\d+|net\d+|(ide|sata|scsi|virtio)\d+|unused\d+|usb\d+)$/;
