// `qm`: QEMU virtual machines.
import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  checkLock,
  confRel,
  effectiveConfig,
  loadGuest,
  newGuest,
  setStatus,
  type Command,
  type Ctx,
  type Registry,
} from './context.js';
import { ParamError, PveError } from './errors.js';
import { snapshotCommands } from './snapshot-commands.js';
import { runExecRules } from './exec.js';
import { lazyOptions, type OptSpec } from './getopt.js';
import {
  addUnused,
  configDisks,
  destroyVolumes,
  guestName,
  bootDiskBytes,
  isTemplate,
  maskPassword,
  newUuid,
  nextPid,
  randomMac,
  revertPending,
  setValue,
  splitKeys,
} from './guests.js';
import { printLxcConfig } from './conffile.js';
import { crypto } from './crypto.js';
import {
  agentFormat,
  bootFormat,
  cicustomFormat,
  dnsNameSpec,
  driveFormat,
  formatSize,
  ipconfigFormat,
  parsePropString,
  parseSize,
  printPropString,
  propCheck,
  qmNetFormat,
  smbiosFormat,
  snapnameSpec,
  startupFormat,
  storageIdSpec,
  vgaFormat,
  vmidSpec,
} from './props.js';
import { getSnapshot } from './snapshots.js';
import {
  allocCloudinit,
  allocDisk,
  findVolumeByPath,
  freeVolume,
  getStorage,
  linkedClone,
  lookupVolume,
  makeBase,
  splitVolid,
} from './storage.js';
import type { GuestState, SimState } from './state.js';

const GiB = 1024 ** 3;
const vmid = { name: 'vmid', spec: vmidSpec };
const bool: OptSpec = { type: 'boolean' };
const str: OptSpec = { type: 'string' };
const int = (min?: number, max?: number): OptSpec => ({ type: 'integer', min, max });

const DRIVE_COUNTS: Record<string, number> = { ide: 4, sata: 6, scsi: 31, virtio: 16 };

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

const createOptions = (): Record<string, OptSpec> => ({
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
const setOptions = (): Record<string, OptSpec> => ({
  ...qmConfigOptions(),
  delete: { type: 'string', pattern: listPattern },
  revert: { type: 'string', pattern: listPattern },
  digest: { type: 'string', pattern: /[a-fA-F0-9]{1,40}/ },
  force: bool,
  skiplock: bool,
});

/** Applied to a running VM at once; everything else is kept in [PENDING] until the next start. */
const VM_HOTPLUG =
  /^(name|description|onboot|startup|protection|tags|lock|hookscript|shares|ciuser|cipassword|citype|ciupgrade|cicustom|nameserver|searchdomain|sshkeys|ipconfig\d+|net\d+|(ide|sata|scsi|virtio)\d+|unused\d+|usb\d+)$/;

const USAGE = {
  create: 'qm create <vmid> [OPTIONS]',
  clone: 'qm clone <vmid> <newid> [OPTIONS]',
  set: 'qm set <vmid> [OPTIONS]',
  config: 'qm config <vmid> [OPTIONS]',
  pending: 'qm pending <vmid>',
  status: 'qm status <vmid> [OPTIONS]',
  list: 'qm list [OPTIONS]',
  start: 'qm start <vmid> [OPTIONS]',
  stop: 'qm stop <vmid> [OPTIONS]',
  shutdown: 'qm shutdown <vmid> [OPTIONS]',
  reboot: 'qm reboot <vmid> [OPTIONS]',
  destroy: 'qm destroy <vmid> [OPTIONS]',
  template: 'qm template <vmid> [OPTIONS]',
  snapshot: 'qm snapshot <vmid> <snapname> [OPTIONS]',
  listsnapshot: 'qm listsnapshot <vmid>',
  delsnapshot: 'qm delsnapshot <vmid> <snapname> [OPTIONS]',
  rollback: 'qm rollback <vmid> <snapname> [OPTIONS]',
  diskImport: 'qm disk import <vmid> <source> <storage> [OPTIONS]',
  diskResize: 'qm disk resize <vmid> <disk> <size> [OPTIONS]',
  guestCmd: 'qm guest cmd <vmid> <command>',
  guestExec: 'qm guest exec <vmid> [<extra-args>] [OPTIONS]',
  ciUpdate: 'qm cloudinit update <vmid>',
  ciDump: 'qm cloudinit dump <vmid> <type>',
  unlock: 'qm unlock <vmid>',
};

const vmNotFound = (s: SimState, id: string | number): PveError =>
  new PveError(`Configuration file '${confRel(s.node, 'qemu', id)}' does not exist`);

function checkImagesStorage(s: SimState, sid: string, param: string): void {
  const st = getStorage(s, sid);
  if (!st.content.includes('images'))
    throw new ParamError({ [param]: `storage '${sid}' does not support vm images` });
}

function normalizeNet(value: string, key: string, keepMac?: string): string {
  const r = parsePropString(qmNetFormat, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  const map = { ...r.map };
  const model = map.model ?? 'virtio';
  const mac = map.macaddr ?? keepMac ?? randomMac();
  delete map.model;
  delete map.macaddr;
  const rest = Object.keys(map)
    .sort()
    .map((k) => `${k}=${map[k]}`);
  return [`${model}=${mac}`, ...rest].join(',');
}

/** The byte size of an import source (sim volume or a real file); undefined when it does not exist. */
function importSource(s: SimState, src: string): { size: number } | undefined {
  if (src.startsWith('/')) {
    const v = findVolumeByPath(s, src);
    if (v) return { size: v.vol.size };
    try {
      const st = statSync(src);
      return st.isFile() ? { size: Math.max(st.size, 1024 * 1024) } : undefined;
    } catch {
      return undefined;
    }
  }
  const v = lookupVolume(s, src);
  return v ? { size: v.size } : undefined;
}

function roundMiB(bytes: number): number {
  return Math.ceil(bytes / 1048576) * 1048576;
}

/** Allocates/attaches one drive of `qm create`/`qm set`; returns the config value. */
function setupDrive(s: SimState, id: number, key: string, value: string, out: string[]): string {
  const r = parsePropString(driveFormat, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  const map = { ...r.map };
  const file = map.file!;
  const importFrom = map['import-from'];
  delete map['import-from'];
  const cloud = /^([a-zA-Z][\w\-.]*):cloudinit$/.exec(file);
  const alloc = /^([a-zA-Z][\w\-.]*):(\d+(?:\.\d+)?)$/.exec(file);
  if (cloud) {
    checkImagesStorage(s, cloud[1]!, key);
    map.file = allocCloudinit(s, cloud[1]!, id);
    map.media = 'cdrom';
    out.push(`${key}: successfully created disk '${map.file},media=cdrom'`);
    return printPropString(driveFormat, map);
  }
  if (alloc) {
    const sid = alloc[1]!;
    checkImagesStorage(s, sid, key);
    let size = Math.round(Number(alloc[2]) * GiB);
    if (importFrom !== undefined) {
      const src = importSource(s, importFrom);
      if (!src)
        throw new PveError(
          importFrom.startsWith('/')
            ? `no such file '${importFrom}'`
            : `volume '${importFrom}' does not exist`,
        );
      size = roundMiB(src.size);
      out.push(
        `transferred 0.0 B of ${(size / GiB).toFixed(1)} GiB (0.00%)`,
        `transferred ${(size / GiB).toFixed(1)} GiB of ${(size / GiB).toFixed(1)} GiB (100.00%)`,
      );
    } else if (size === 0) {
      throw new ParamError({ [key]: 'invalid format - disk size must be greater than zero' });
    }
    map.file = allocDisk(s, sid, id, 'images', size, map.format);
    delete map.format;
    map.size = formatSize(size);
    const st = s.storages[sid]!;
    if (st.type === 'lvmthin' || st.type === 'lvm')
      out.push(`  Logical volume "${map.file.split(':')[1]}" created.`);
    out.push(`${key}: successfully created disk '${printPropString(driveFormat, map)}'`);
    return printPropString(driveFormat, map);
  }
  if (file === 'none' || file === 'cdrom') return printPropString(driveFormat, map);
  if (file.startsWith('/')) return printPropString(driveFormat, map);
  const v = lookupVolume(s, file);
  if (!v) throw new PveError(`volume '${file}' does not exist`);
  if (map.media !== 'cdrom') map.size ??= formatSize(v.size);
  return printPropString(driveFormat, map);
}

function defaultBoot(config: Record<string, string>): string {
  const order: string[] = [];
  for (const bus of ['ide', 'sata', 'scsi', 'virtio']) {
    for (let i = 0; i < DRIVE_COUNTS[bus]!; i++) {
      const v = config[`${bus}${i}`];
      if (v !== undefined && !/cloudinit/.test(v)) order.push(`${bus}${i}`);
    }
  }
  for (let i = 0; i < 32; i++) if (config[`net${i}`] !== undefined) order.push(`net${i}`);
  return `order=${order.join(';')}`;
}

/** uri_escape as Perl's URI::Escape does it (what PVE stores for sshkeys). */
function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * What qemu-server stores for `cipassword` (API2/Qemu.pm, update_vm): a value that already looks like a crypt hash
 * as it is, anything else through encrypt_pw (a `$5$` hash; this one is only shaped like it).
 */
export function storedPassword(pw: string): string {
  return /^\$(?:[156]|2[ay])(\$.+){2}/.test(pw) ? pw : cryptPassword(pw);
}

function cryptPassword(pw: string): string {
  const salt = crypto().randomBytes(6).toString('base64').replace(/[+/=]/g, 'x');
  return `$5$${salt}$${crypto()
    .createHash('sha256')
    .update(salt + pw)
    .digest('base64')
    .replace(/=+$/, '')
    .replace(/\+/g, '.')}`;
}

/** Values the CLI maps or transforms before storing (`--sshkeys FILE`, `--cipassword`, nets, drives). */
function prepareValue(s: SimState, id: number, k: string, v: string, out: string[], old?: string): string {
  if (k === 'sshkeys') {
    let text: string;
    try {
      text = readFileSync(v, 'utf8');
    } catch {
      throw new PveError(`unable to open file '${v}' - No such file or directory`, 2);
    }
    return uriEscape(text);
  }
  if (k === 'cipassword') return storedPassword(v);
  if (/^net\d+$/.test(k)) {
    const oldMac = old ? /^[a-z0-9-]+=([0-9A-Fa-f:]{17})/.exec(old)?.[1] : undefined;
    return normalizeNet(v, k, oldMac);
  }
  if (/^(ide|sata|scsi|virtio)\d+$/.test(k)) return setupDrive(s, id, k, v, out);
  return v;
}

// ---- create ----------------------------------------------------------------------------------------------

const create: Command = {
  task: true,
  spec: lazyOptions({ usage: USAGE.create, positionals: [vmid] }, createOptions),
  async run(ctx, p) {
    const id = Number(p.params.vmid);
    const o = p.opts;
    await ctx.tx((s) => {
      const g = s.guests[id];
      if (g)
        throw new PveError(
          `unable to create VM ${id} - ${g.type === 'lxc' ? 'CT' : 'VM'} ${id} already exists on node '${s.node}'`,
        );
      for (const [k, v] of Object.entries(o)) {
        if (/^(ide|sata|scsi|virtio)\d+$/.test(k)) {
          const sid = /^([a-zA-Z][\w\-.]*):(\d|cloudinit)/.exec(v)?.[1];
          if (sid) checkImagesStorage(s, sid, k);
          const imp = /import-from=([^,]+)/.exec(v)?.[1];
          if (imp && !importSource(s, imp)) {
            throw new PveError(
              imp.startsWith('/') ? `no such file '${imp}'` : `volume '${imp}' does not exist`,
            );
          }
        }
        if (k === 'sshkeys' && !existsSync(v))
          throw new PveError(`unable to open file '${v}' - No such file or directory`, 2);
      }
      const ng = newGuest(id, 'qemu', ctx.now(), s.vmlistVersion + 1);
      ng.config = { lock: 'create' };
      s.guests[id] = ng;
    });
    const out: string[] = [];
    return ctx.task(
      true,
      async () => {
        const importing = Object.values(o).some((v) => v.includes('import-from='));
        await ctx.sleep(importing ? 'diskImport' : 'qmCreate');
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g) throw new PveError(`unable to create VM ${id} - config vanished`);
          const conf: Record<string, string> = {};
          try {
            for (const [k, v] of Object.entries(o)) {
              if (
                [
                  'archive',
                  'bwlimit',
                  'force',
                  'live-restore',
                  'pool',
                  'start',
                  'storage',
                  'unique',
                  'lock',
                ].includes(k)
              )
                continue;
              conf[k] = prepareValue(s, id, k, v, out);
            }
          } catch (e) {
            if (e instanceof ParamError) throw e;
            if (e instanceof PveError) throw new PveError(`unable to create VM ${id} - ${e.message}`);
            throw e;
          }
          conf.boot ??= defaultBoot(conf);
          conf.meta = `creation-qemu=9.2.0,ctime=${Math.floor(ctx.now() / 1000)}`;
          conf.smbios1 ??= `uuid=${newUuid()}`;
          conf.vmgenid ??= newUuid();
          g.config = conf;
          if (o.start === '1') setStatus(g, 'running', ctx.now(), nextPid(s));
        });
        if (out.length > 0) ctx.out(out.join('\n') + '\n');
      },
      async () => {
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g) return;
          for (const d of configDisks('qemu', g.config)) freeVolume(s, d.volid);
          delete s.guests[id];
        });
      },
    );
  },
};

// ---- set / config ------------------------------------------------------------------------------------------

const set: Command = {
  spec: lazyOptions({ usage: USAGE.set, positionals: [vmid] }, setOptions),
  async run(ctx, p) {
    const id = p.params.vmid!;
    const o = { ...p.opts };
    const del = splitKeys(o.delete);
    const revert = splitKeys(o.revert);
    const digest = o.digest;
    const skiplock = o.skiplock === '1';
    for (const k of ['delete', 'revert', 'digest', 'skiplock', 'force']) delete o[k];
    if (Object.keys(o).length === 0 && del.length === 0 && revert.length === 0)
      throw new PveError('no options specified');
    const out: string[] = [];
    await ctx.tx((s) => {
      const g = s.guests[id];
      if (!g || g.type !== 'qemu') throw vmNotFound(s, id);
      if (digest !== undefined && digest !== g.mirrorHash) {
        throw new PveError('detected modified configuration - file changed by other user? Try again.');
      }
      if (!skiplock && o.lock === undefined) checkLock(g);
      const running = g.status === 'running';
      revertPending(g, revert);
      for (const k of del) {
        if (g.config[k] === undefined && g.pending[k] === undefined) continue;
        delete g.pending[k];
        if (!running || VM_HOTPLUG.test(k)) {
          const d = /^(ide|sata|scsi|virtio)\d+$/.test(k)
            ? configDisks('qemu', { [k]: g.config[k]! })[0]
            : undefined;
          if (d && !d.cloudinit) addUnused(g, d.volid);
          else if (d?.cloudinit) freeVolume(s, d.volid);
          if (/^unused\d+$/.test(k)) freeVolume(s, g.config[k]!);
          delete g.config[k];
        } else if (!g.pendingDelete.includes(k)) g.pendingDelete.push(k);
      }
      for (const [k, v0] of Object.entries(o)) {
        const v = prepareValue(s, Number(id), k, v0, out, g.config[k]);
        setValue(g, k, v, !running || VM_HOTPLUG.test(k));
      }
    });
    if (out.length > 0) ctx.out(out.join('\n') + '\n');
  },
};

const config: Command = {
  spec: { usage: USAGE.config, positionals: [vmid], options: { current: bool, snapshot: snapnameSpec } },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'qemu', p.params.vmid!, 2);
    if (p.opts.snapshot !== undefined) {
      const snap = getSnapshot(g, p.opts.snapshot);
      const c: Record<string, string> = { ...maskPassword(snap.config), snaptime: String(snap.snaptime) };
      if (snap.description) c.description = snap.description;
      ctx.out(printLxcConfig(c, []));
      return;
    }
    ctx.out(printLxcConfig(maskPassword(effectiveConfig(g, p.opts.current === '1')), []));
  },
};

const pending: Command = {
  spec: { usage: USAGE.pending, positionals: [vmid], options: {} },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'qemu', p.params.vmid!, 2);
    const keys = new Set([...Object.keys(g.config), ...Object.keys(g.pending), ...g.pendingDelete]);
    let out = '';
    for (const k of [...keys].sort()) {
      const cur = maskPassword(g.config)[k];
      const nv = maskPassword(g.pending)[k];
      if (g.pendingDelete.includes(k)) out += `del ${k}: ${cur ?? ''}\n`;
      else if (nv !== undefined) {
        if (cur !== undefined) out += `cur ${k}: ${cur}\n`;
        out += `new ${k}: ${nv}\n`;
      } else out += `cur ${k}: ${cur}\n`;
    }
    ctx.out(out);
  },
};

// ---- status / list ---------------------------------------------------------------------------------------

const status: Command = {
  spec: { usage: USAGE.status, positionals: [vmid], options: { verbose: bool } },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'qemu', p.params.vmid!, 2);
    if (p.opts.verbose !== '1') {
      ctx.out(`status: ${g.status}\n`);
      return;
    }
    const running = g.status === 'running';
    const maxmem = Number(g.config.memory ?? 512) * 1024 * 1024;
    const v: Record<string, string | number> = {
      cpus: Number(g.config.cores ?? 1) * Number(g.config.sockets ?? 1),
      disk: 0,
      diskread: running ? 104_857_600 : 0,
      diskwrite: running ? 20_971_520 : 0,
      maxdisk: bootDiskBytes(g),
      maxmem,
      mem: running ? Math.floor(maxmem * 0.25) : 0,
      name: guestName(g),
      netin: running ? 223_456 : 0,
      netout: running ? 33_456 : 0,
      qmpstatus: g.status,
      status: g.status,
      uptime: running && g.startedAt ? Math.floor((ctx.now() - g.startedAt) / 1000) : 0,
      vmid: g.vmid,
    };
    if (g.config.agent) v.agent = 1;
    if (running && g.pid) v.pid = g.pid;
    if (g.config.lock) v.lock = g.config.lock;
    if (isTemplate(g)) v.template = 1;
    ctx.out(
      Object.keys(v)
        .sort()
        .map((k) => `${k}: ${v[k]}\n`)
        .join(''),
    );
  },
};

const list: Command = {
  spec: { usage: USAGE.list, positionals: [], options: { full: bool } },
  run(ctx) {
    const vms = Object.values(ctx.read().guests)
      .filter((g) => g.type === 'qemu')
      .sort((a, b) => a.vmid - b.vmid);
    if (vms.length === 0) return;
    const row = (a: string, b: string, c: string, d: string, e: string, f: string): string =>
      `${a.padStart(10)} ${b.padEnd(20)} ${c.padEnd(10)} ${d.padEnd(10)} ${e.padStart(12)} ${f.padEnd(10)}\n`;
    let out = row('VMID', 'NAME', 'STATUS', 'MEM(MB)', 'BOOTDISK(GB)', 'PID');
    for (const g of vms) {
      out += row(
        String(g.vmid),
        guestName(g),
        g.status,
        String(Number(g.config.memory ?? 512)),
        (bootDiskBytes(g) / GiB).toFixed(2),
        String(g.status === 'running' ? (g.pid ?? 0) : 0),
      );
    }
    ctx.out(out);
  },
};

// ---- start / stop / shutdown / reboot ------------------------------------------------------------------------

function applyPending(g: GuestState): void {
  for (const k of g.pendingDelete) delete g.config[k];
  Object.assign(g.config, g.pending);
  g.pending = {};
  g.pendingDelete = [];
}

const start: Command = {
  task: true,
  spec: {
    usage: USAGE.start,
    positionals: [vmid],
    options: {
      skiplock: bool,
      timeout: int(0, 86400),
      machine: str,
      'force-cpu': str,
      migratedfrom: str,
      stateuri: str,
    },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await ctx.tx((s) => {
      const g = s.guests[id];
      if (!g || g.type !== 'qemu') throw vmNotFound(s, id);
      if (g.status === 'running') throw new PveError(`VM ${id} already running`);
      if (isTemplate(g)) throw new PveError("you can't start a vm if it's a template");
      if (p.opts.skiplock !== '1') checkLock(g);
    });
    return ctx.task(true, async () => {
      await ctx.sleep('start');
      await ctx.tx((s) => {
        const g = loadGuest(s, 'qemu', id);
        applyPending(g);
        setStatus(g, 'running', ctx.now(), nextPid(s));
      });
    });
  },
};

function stopLike(kind: 'stop' | 'shutdown' | 'reboot'): Command {
  const options: Record<string, OptSpec> =
    kind === 'stop'
      ? { skiplock: bool, keepActive: bool, timeout: int(0), 'overrule-shutdown': bool, migratedfrom: str }
      : kind === 'shutdown'
        ? { skiplock: bool, keepActive: bool, timeout: int(0), forceStop: bool }
        : { timeout: int(0) };
  return {
    task: true,
    spec: { usage: USAGE[kind], positionals: [vmid], options },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const running = await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g || g.type !== 'qemu') {
          throw kind === 'reboot'
            ? vmNotFound(s, id)
            : new PveError(`unable to find configuration file for VM ${id} on node '${s.node}'`);
        }
        if (kind === 'reboot' && g.status !== 'running') throw new PveError(`VM ${id} not running`);
        if (g.status === 'running' && p.opts.skiplock !== '1') checkLock(g);
        return g.status === 'running';
      });
      return ctx.task(true, async () => {
        if (!running) return; // stop/shutdown of a stopped VM is a silent success
        await ctx.sleep(kind);
        await ctx.tx((s) => {
          const g = loadGuest(s, 'qemu', id);
          setStatus(g, 'stopped', ctx.now());
          if (kind === 'reboot') {
            applyPending(g);
            setStatus(g, 'running', ctx.now(), nextPid(s));
          }
        });
      });
    },
  };
}

// ---- destroy ---------------------------------------------------------------------------------------------

const destroy: Command = {
  task: true,
  spec: {
    usage: USAGE.destroy,
    positionals: [vmid],
    options: { purge: bool, skiplock: bool, 'destroy-unreferenced-disks': bool },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', id);
      if (p.opts.skiplock !== '1') checkLock(g);
      if (g.config.protection === '1') throw new PveError(`can't remove VM ${id} - protection mode enabled`);
      if (g.status === 'running') throw new PveError(`VM ${id} is running - destroy failed`);
    });
    return ctx.task(true, async () => {
      await ctx.sleep('destroy');
      const out: string[] = [];
      await ctx.tx((s) => {
        const g = loadGuest(s, 'qemu', id);
        out.push(...destroyVolumes(s, g, (v) => `base volume '${v}' is still in use by linked cloned`));
        if (p.opts.purge === '1') out.push(`purging VM ${id} from related configurations..`);
        delete s.guests[id];
      });
      if (out.length > 0) ctx.out(out.join('\n') + '\n');
    });
  },
};

// ---- clone / template ------------------------------------------------------------------------------------

const clone: Command = {
  task: true,
  spec: {
    usage: USAGE.clone,
    positionals: [vmid, { name: 'newid', spec: vmidSpec }],
    options: {
      bwlimit: int(0),
      description: str,
      format: { type: 'string', enum: ['raw', 'qcow2', 'vmdk'] },
      full: bool,
      name: dnsNameSpec,
      pool: str,
      snapname: snapnameSpec,
      storage: storageIdSpec,
      target: str,
    },
  },
  async run(ctx, p) {
    const src = p.params.vmid!;
    const newid = Number(p.params.newid);
    const o = p.opts;
    let full = true;
    let srcConfig: Record<string, string> = {};
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', src);
      if (s.guests[newid]) throw new PveError(`unable to create VM ${newid}: config file already exists`);
      checkLock(g);
      full = o.full !== undefined ? o.full === '1' : !isTemplate(g);
      if (!full && o.storage !== undefined)
        throw new PveError("parameter 'storage' not allowed for linked clones");
      if (!full && o.format !== undefined)
        throw new PveError("parameter 'format' not allowed for linked clones");
      if (o.storage !== undefined) checkImagesStorage(s, o.storage, 'storage');
      srcConfig = o.snapname ? { ...getSnapshot(g, o.snapname).config } : { ...g.config };
      if (!full) {
        for (const d of configDisks('qemu', srcConfig)) {
          if (d.cloudinit) continue;
          if (!/^(base|basevol)-/.test(splitVolid(d.volid)![1].split('/').pop() ?? '')) {
            throw new PveError(`Linked clone feature is not supported for '${d.volid}' (${d.key})`);
          }
        }
      }
      const ng = newGuest(newid, 'qemu', ctx.now(), s.vmlistVersion + 1);
      ng.config = { lock: 'clone' };
      s.guests[newid] = ng;
    });
    return ctx.task(
      true,
      async () => {
        const out = [`creating a clone of VM ${src} with ID ${newid}`];
        await ctx.sleep(full ? 'qmFullClone' : 'qmClone');
        await ctx.tx((s) => {
          const ng = s.guests[newid];
          if (!ng) throw new PveError('clone failed: target vanished');
          const conf = { ...srcConfig };
          for (const k of [
            'lock',
            'parent',
            'snaptime',
            'snapstate',
            'template',
            'vmstate',
            'runningmachine',
            'runningcpu',
          ])
            delete conf[k];
          for (const k of Object.keys(conf)) if (/^unused\d+$/.test(k)) delete conf[k];
          for (const d of configDisks('qemu', srcConfig)) {
            let volid: string | undefined;
            if (d.cloudinit) {
              volid = allocCloudinit(s, o.storage ?? splitVolid(d.volid)![0], newid);
            } else if (full) {
              out.push(`create full clone of drive ${d.key} (${d.volid})`);
              volid = allocDisk(
                s,
                o.storage ?? splitVolid(d.volid)![0],
                newid,
                'images',
                d.size || GiB,
                o.format,
              );
            } else {
              out.push(`create linked clone of drive ${d.key} (${d.volid})`);
              volid = linkedClone(s, d.volid, newid, 'images');
              if (!volid)
                throw new PveError(
                  `clone failed: Linked clone feature is not supported for '${d.volid}' (${d.key})`,
                );
            }
            conf[d.key] = printPropString(driveFormat, { ...d.map, file: volid });
          }
          for (const [k, v] of Object.entries(conf))
            if (/^net\d+$/.test(k))
              conf[k] = normalizeNet(v.replace(/^([a-z0-9-]+)=[0-9A-Fa-f:]{17}/, '$1'), k);
          if (conf.smbios1) {
            const r = parsePropString(smbiosFormat, conf.smbios1, 'smbios1');
            conf.smbios1 = printPropString(smbiosFormat, { ...(r.ok ? r.map : {}), uuid: newUuid() });
          }
          conf.vmgenid = newUuid();
          conf.name = o.name ?? `Copy-of-VM-${srcConfig.name ?? src}`;
          if (o.description !== undefined) conf.description = o.description;
          ng.config = conf;
        });
        ctx.out(out.join('\n') + '\n');
      },
      async () => {
        await ctx.tx((s) => {
          const ng = s.guests[newid];
          if (!ng) return;
          for (const d of configDisks('qemu', ng.config)) freeVolume(s, d.volid);
          delete s.guests[newid];
        });
      },
    );
  },
};

const template: Command = {
  task: true,
  spec: {
    usage: USAGE.template,
    positionals: [vmid],
    options: { disk: { type: 'string', pattern: /(ide|sata|scsi|virtio|efidisk|tpmstate)\d+/ } },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', id);
      checkLock(g);
      if (isTemplate(g)) throw new PveError("you can't convert a template to a template");
      if (g.status === 'running') throw new PveError("you can't convert a VM to template if VM is running");
      if (Object.keys(g.snapshots).length > 0)
        throw new PveError('unable to create template, because VM contains snapshots');
    });
    return ctx.task(false, async () => {
      await ctx.sleep('template');
      await ctx.tx((s) => {
        const g = loadGuest(s, 'qemu', id);
        for (const d of configDisks('qemu', g.config)) {
          if (d.cloudinit || (p.opts.disk && d.key !== p.opts.disk)) continue;
          g.config[d.key] = printPropString(driveFormat, { ...d.map, file: makeBase(s, d.volid) });
        }
        g.config.template = '1';
      });
    });
  },
};

// ---- snapshots -------------------------------------------------------------------------------------------

const { snapshot, listsnapshot, delsnapshot, rollback } = snapshotCommands('qemu', USAGE);

// ---- disks -----------------------------------------------------------------------------------------------

const diskImport: Command = {
  spec: {
    usage: USAGE.diskImport,
    positionals: [vmid, { name: 'source' }, { name: 'storage', spec: storageIdSpec }],
    options: {
      format: { type: 'string', enum: ['raw', 'qcow2', 'vmdk'] },
      'target-disk': { type: 'string', pattern: /(ide|sata|scsi|virtio|efidisk|tpmstate|unused)\d+/ },
    },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const src = p.params.source!;
    const sid = p.params.storage!;
    const s0 = ctx.read();
    const g0 = loadGuest(s0, 'qemu', id);
    checkLock(g0);
    const info = importSource(s0, src);
    if (!info || (!src.startsWith('/') && !src.includes(':')))
      throw new PveError(`${src}: non-existent or non-regular file`);
    const st = getStorage(s0, sid);
    if (!st.content.includes('images')) throw new PveError(`storage ${sid} does not support vm images`);
    ctx.out(`importing disk '${src}' to VM ${id} ...\n`);
    await ctx.sleep('diskImport');
    const size = roundMiB(info.size);
    const line = await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', id);
      checkLock(g);
      const volid = allocDisk(s, sid, Number(id), 'images', size, p.opts.format);
      let key = p.opts['target-disk'];
      if (!key || /^unused/.test(key)) {
        key = addUnused(g, volid);
      } else {
        g.config[key] = `${volid},size=${formatSize(size)}`;
      }
      return `${key}: successfully imported disk '${volid}'`;
    });
    ctx.out(
      `transferred 0.0 B of ${(size / GiB).toFixed(1)} GiB (0.00%)\ntransferred ${(size / GiB).toFixed(1)} GiB of ${(size / GiB).toFixed(1)} GiB (100.00%)\n${line}\n`,
    );
  },
};

const diskResize: Command = {
  task: true,
  spec: {
    usage: USAGE.diskResize,
    positionals: [
      vmid,
      { name: 'disk', spec: { type: 'string', pattern: /(ide|sata|scsi|virtio|efidisk|tpmstate)\d+/ } },
      { name: 'size', spec: { type: 'string', pattern: /\+?\d+(\.\d+)?[KMGT]?/ } },
    ],
    options: { digest: str, skiplock: bool },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const key = p.params.disk!;
    const sizeArg = p.params.size!;
    loadGuest(ctx.read(), 'qemu', id);
    // every check runs inside the task, so failures still exit 0
    return ctx.task(false, async () => {
      await ctx.sleep('resize');
      await ctx.tx((s) => {
        const g = loadGuest(s, 'qemu', id);
        if (p.opts.skiplock !== '1') checkLock(g);
        if (g.config[key] === undefined) throw new PveError(`disk '${key}' does not exist`);
        const d = configDisks('qemu', { [key]: g.config[key] }, true)[0];
        if (!d || d.cdrom || d.cloudinit) throw new PveError("you can't resize a cdrom");
        const cur = d.size || (lookupVolume(s, d.volid)?.size ?? 0);
        const n = sizeArg.startsWith('+') ? cur + parseSize(sizeArg.slice(1)) : parseSize(sizeArg);
        if (n < cur) throw new PveError('shrinking disks is not supported');
        if (n === cur) return;
        const v = lookupVolume(s, d.volid);
        if (v) v.size = n;
        g.config[key] = printPropString(driveFormat, { ...d.map, size: formatSize(n) });
      });
    });
  },
};

// ---- guest agent -----------------------------------------------------------------------------------------

/** Perl JSON->pretty->canonical: 3-space indent, `"key" : value`, sorted keys. */
export function perlPrettyJson(v: unknown, indent = ''): string {
  const inner = indent + '   ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + perlPrettyJson(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)} : ${perlPrettyJson((v as Record<string, unknown>)[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

const AGENT_CMDS = [
  'fsfreeze-freeze',
  'fsfreeze-status',
  'fsfreeze-thaw',
  'fstrim',
  'get-fsinfo',
  'get-host-name',
  'get-memory-block-info',
  'get-memory-blocks',
  'get-osinfo',
  'get-time',
  'get-timezone',
  'get-users',
  'get-vcpus',
  'info',
  'network-get-interfaces',
  'ping',
  'shutdown',
  'suspend-disk',
  'suspend-hybrid',
  'suspend-ram',
];

/** Agent checks in the real order: configured, VM running, agent answering (after agentReadyAfterMs). */
async function agentReady(ctx: Ctx, id: string): Promise<GuestState> {
  const g = loadGuest(ctx.read(), 'qemu', id);
  if (g.config.agent === undefined) throw new PveError('No QEMU guest agent configured');
  if (g.status !== 'running') throw new PveError(`VM ${id} is not running`);
  const readyAt = (g.startedAt ?? 0) + ctx.cfg.agentReadyAfterMs * ctx.cfg.latencyScale;
  if (ctx.now() < readyAt) {
    await ctx.sleep('agentPingTimeout');
    throw new PveError('QEMU guest agent is not running');
  }
  return g;
}

function agentResult(g: GuestState, cmd: string, now: number): unknown {
  const ip = /ip=([\d.]+)/.exec(g.config.ipconfig0 ?? '')?.[1] ?? '10.0.0.' + (g.vmid % 250);
  const mac = /=([0-9A-F:]{17})/i.exec(g.config.net0 ?? '')?.[1] ?? 'BC:24:11:00:00:00';
  switch (cmd) {
    case 'ping':
    case 'fstrim':
    case 'shutdown':
      return undefined;
    case 'info':
      return {
        version: '8.2.2',
        supported_commands: AGENT_CMDS.map((name) => ({ enabled: true, name, 'success-response': true })),
      };
    case 'get-osinfo':
      return {
        id: 'ubuntu',
        'kernel-release': '6.8.0-45-generic',
        'kernel-version': '#45-Ubuntu SMP',
        machine: 'x86_64',
        name: 'Ubuntu',
        'pretty-name': 'Ubuntu 24.04.1 LTS',
        'version-id': '24.04',
      };
    case 'get-host-name':
      return { 'host-name': g.config.name ?? `vm${g.vmid}` };
    case 'get-time':
      return now * 1_000_000;
    case 'network-get-interfaces':
      return [
        {
          name: 'lo',
          'hardware-address': '00:00:00:00:00:00',
          'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }],
        },
        {
          name: 'eth0',
          'hardware-address': mac.toLowerCase(),
          'ip-addresses': [{ 'ip-address': ip, 'ip-address-type': 'ipv4', prefix: 24 }],
        },
      ];
    default:
      return {};
  }
}

const guestCmd: Command = {
  spec: {
    usage: USAGE.guestCmd,
    positionals: [vmid, { name: 'command', spec: { type: 'string', enum: AGENT_CMDS } }],
    options: {},
  },
  async run(ctx, p) {
    const g = await agentReady(ctx, p.params.vmid!);
    await ctx.sleep('agentCmd');
    const res = agentResult(g, p.params.command!, ctx.now());
    if (res !== undefined) ctx.out(perlPrettyJson(res) + '\n');
  },
};

const guestExec: Command = {
  spec: {
    usage: USAGE.guestExec,
    positionals: [vmid, { name: 'extra-args' }],
    listParam: true,
    options: { 'pass-stdin': bool, synchronous: bool, timeout: int(0) },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await agentReady(ctx, id);
    if (p.extra.length === 0) throw new PveError('No command given');
    await ctx.sleep('exec');
    const res = await runExecRules(ctx, Number(id), 'qm guest exec', p.extra);
    if (p.opts.synchronous === '0') {
      ctx.out(perlPrettyJson({ pid: 1000 + Math.floor(Math.random() * 9000) }) + '\n');
      return;
    }
    const obj: Record<string, unknown> = { exitcode: res.exit, exited: 1 };
    if (res.stdout) obj['out-data'] = res.stdout;
    if (res.stderr) obj['err-data'] = res.stderr;
    ctx.out(perlPrettyJson(obj) + '\n');
  },
};

// ---- cloud-init / unlock -----------------------------------------------------------------------------------

const CI_KEYS =
  /^(ciuser|cipassword|citype|ciupgrade|cicustom|nameserver|searchdomain|sshkeys|ipconfig\d+|name)$/;

const ciUpdate: Command = {
  spec: { usage: USAGE.ciUpdate, positionals: [vmid], options: {} },
  async run(ctx, p) {
    await ctx.sleep('cloudinitUpdate');
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', p.params.vmid!);
      checkLock(g);
      const ci: Record<string, string> = {};
      for (const [k, v] of Object.entries(g.config)) if (CI_KEYS.test(k) || /^net\d+$/.test(k)) ci[k] = v;
      g.cloudinit = ci;
    });
  },
};

const ciDump: Command = {
  spec: {
    usage: USAGE.ciDump,
    positionals: [vmid, { name: 'type', spec: { type: 'string', enum: ['user', 'network', 'meta'] } }],
    options: {},
  },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'qemu', p.params.vmid!);
    const c = g.config;
    if (p.params.type === 'user') {
      let y = '#cloud-config\n';
      y += `hostname: ${c.name ?? `VM${g.vmid}`}\nmanage_etc_hosts: true\nfqdn: ${c.name ?? `VM${g.vmid}`}\n`;
      if (c.ciuser) y += `user: ${c.ciuser}\n`;
      if (c.cipassword) y += `password: ${c.cipassword}\n`;
      if (c.sshkeys) {
        y += 'ssh_authorized_keys:\n';
        for (const k of decodeURIComponent(c.sshkeys)
          .split('\n')
          .filter((l) => l.trim() !== ''))
          y += `  - ${k}\n`;
      }
      y += 'chpasswd:\n  expire: False\nusers:\n  - default\npackage_upgrade: true\n';
      ctx.out(y);
    } else if (p.params.type === 'network') {
      let y = 'version: 1\nconfig:\n';
      for (let i = 0; i < 32; i++) {
        const net = c[`net${i}`];
        if (!net) continue;
        const mac = /=([0-9A-Fa-f:]{17})/.exec(net)?.[1]?.toLowerCase() ?? '';
        y += `    - type: physical\n      name: eth${i}\n      mac_address: '${mac}'\n      subnets:\n`;
        const ipc = c[`ipconfig${i}`] ?? '';
        const ip = /ip=([^,]+)/.exec(ipc)?.[1];
        const gw = /gw=([^,]+)/.exec(ipc)?.[1];
        if (!ip || ip === 'dhcp') y += '      - type: dhcp4\n';
        else y += `      - type: static\n        address: '${ip}'\n${gw ? `        gateway: '${gw}'\n` : ''}`;
      }
      if (c.nameserver)
        y += `    - type: nameserver\n      address:\n${c.nameserver
          .split(/[ ,;]+/)
          .map((n) => `      - '${n}'\n`)
          .join('')}`;
      ctx.out(y);
    } else {
      const uuid = /uuid=([^,]+)/.exec(c.smbios1 ?? '')?.[1] ?? '';
      ctx.out(`instance-id: ${crypto().createHash('sha1').update(uuid).digest('hex')}\n`);
    }
  },
};

const unlock: Command = {
  spec: { usage: USAGE.unlock, positionals: [vmid], options: {} },
  async run(ctx, p) {
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', p.params.vmid!);
      delete g.config.lock;
    });
  },
};

export const qmCommands: Registry = {
  create,
  clone,
  set,
  config,
  pending,
  status,
  list,
  start,
  stop: stopLike('stop'),
  shutdown: stopLike('shutdown'),
  reboot: stopLike('reboot'),
  destroy,
  template,
  snapshot,
  listsnapshot,
  delsnapshot,
  rollback,
  disk: { import: diskImport, resize: diskResize },
  guest: { cmd: guestCmd, exec: guestExec },
  cloudinit: { update: ciUpdate, dump: ciDump },
  unlock,
};

export const qmAliases: Record<string, string[]> = {
  importdisk: ['disk', 'import'],
  resize: ['disk', 'resize'],
  agent: ['guest', 'cmd'],
};
