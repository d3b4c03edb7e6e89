// `pct`: LXC containers.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import {
  checkLock,
  checkUnused,
  effectiveConfig,
  guestNotFound,
  loadGuest,
  newGuest,
  setStatus,
  type Command,
  type Registry,
} from '../context.js';
import { printLxcConfig } from '../conffile.js';
import { crypto } from '../crypto.js';
import { ParamError, PveError } from '../errors.js';
import { snapshotCommands } from '../snapshot-commands.js';
import { runExecRules } from '../exec.js';
import { bool, int, lazyOptions, type OptSpec } from '../getopt.js';
import {
  addUnused,
  applyPending,
  configDisks,
  destroyVolumes,
  guestName,
  isTemplate,
  nextPid,
  randomMac,
  revertPending,
  setValue,
  splitKeys,
} from '../guests.js';
import { LXC_HOTPLUG, lxcConfigOptions, lxcCreateOptions, lxcSetOptions } from './options.js';
import {
  dnsNameSpec,
  formatSize,
  GiB,
  lxcNetFormat,
  mpFormat,
  parsePropString,
  parseSize,
  printPropString,
  rootfsFormat,
  snapnameSpec,
  vmidArg,
  vmidSpec,
} from '../props.js';
import { getSnapshot } from '../snapshots.js';
import {
  allocDisk,
  findVolumeByPath,
  freeVolume,
  getStorage,
  linkedClone,
  lookupVolume,
  makeBase,
  splitVolid,
  volumePath,
} from '../storage.js';
import type { GuestState, SimState } from '../state.js';

function normalizeNet(value: string, key: string): string {
  const r = parsePropString(lxcNetFormat, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  const map = { ...r.map };
  map.hwaddr ??= randomMac();
  map.type ??= 'veth';
  return printPropString(lxcNetFormat, map);
}

function checkRootdirStorage(s: SimState, sid: string, param: string): void {
  const st = getStorage(s, sid);
  if (!st.content.includes('rootdir')) {
    throw new ParamError({ [param]: `storage '${sid}' does not support container directories` });
  }
}

/** Allocates `SID:N` (GiB) mount point volumes; keeps existing volids and bind mounts. */
function allocMount(
  s: SimState,
  id: number,
  key: string,
  value: string,
  defStorage: string,
  out: string[],
): string {
  const fmt = key === 'rootfs' ? rootfsFormat : mpFormat;
  const r = parsePropString(fmt, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  const map = { ...r.map };
  let vol = map.volume!;
  if (/^\d+(\.\d+)?$/.test(vol)) vol = `${defStorage}:${vol}`;
  const alloc = /^([a-zA-Z][\w\-.]*):(\d+(?:\.\d+)?)$/.exec(vol);
  if (alloc) {
    const sid = alloc[1]!;
    checkRootdirStorage(s, sid, key === 'rootfs' ? 'storage' : key);
    const size = Math.round(Number(alloc[2]) * GiB);
    map.volume = allocDisk(s, sid, id, 'rootdir', size);
    map.size = formatSize(size);
    const st = s.storages[sid]!;
    if (st.type === 'lvmthin' || st.type === 'lvm') {
      out.push(`  Logical volume "${map.volume.split(':')[1]}" created.`);
    }
  } else if (!vol.startsWith('/')) {
    const v = lookupVolume(s, vol);
    if (!v) throw new PveError(`volume '${vol}' does not exist`);
    map.size ??= formatSize(v.size);
  }
  return printPropString(fmt, map);
}

function ostypeOf(template: string): string {
  const base = template.split('/').pop() ?? '';
  const distro = base.split(/[-_]/)[0] ?? '';
  const map: Record<string, string> = {
    rockylinux: 'centos',
    almalinux: 'centos',
    centos: 'centos',
    opensuse: 'opensuse',
  };
  if (map[distro]) return map[distro];
  return ['debian', 'ubuntu', 'alpine', 'fedora', 'archlinux', 'devuan', 'gentoo', 'nixos'].includes(distro)
    ? distro
    : 'unmanaged';
}

/** Resolves an ostemplate volid or path to its file path; undefined when the file is missing. */
function templatePath(s: SimState, tmpl: string): { path: string; exists: boolean } {
  if (tmpl.startsWith('/')) {
    return { path: tmpl, exists: findVolumeByPath(s, tmpl) !== undefined || existsSync(tmpl) };
  }
  const sv = splitVolid(tmpl);
  if (!sv) throw new ParamError({ ostemplate: `unable to parse volume ID '${tmpl}'` });
  const st = getStorage(s, sv[0]);
  const path = volumePath(sv[0], st, sv[1]) ?? `/dev/${sv[0]}/${sv[1]}`;
  return { path, exists: st.volumes[sv[1]] !== undefined };
}

const USAGE = {
  create: 'pct create <vmid> <ostemplate> [OPTIONS]',
  clone: 'pct clone <vmid> <newid> [OPTIONS]',
  set: 'pct set <vmid> [OPTIONS]',
  config: 'pct config <vmid> [OPTIONS]',
  pending: 'pct pending <vmid>',
  status: 'pct status <vmid> [OPTIONS]',
  list: 'pct list',
  start: 'pct start <vmid> [OPTIONS]',
  stop: 'pct stop <vmid> [OPTIONS]',
  shutdown: 'pct shutdown <vmid> [OPTIONS]',
  reboot: 'pct reboot <vmid> [OPTIONS]',
  destroy: 'pct destroy <vmid> [OPTIONS]',
  resize: 'pct resize <vmid> <disk> <size> [OPTIONS]',
  snapshot: 'pct snapshot <vmid> <snapname> [OPTIONS]',
  listsnapshot: 'pct listsnapshot <vmid>',
  delsnapshot: 'pct delsnapshot <vmid> <snapname> [OPTIONS]',
  rollback: 'pct rollback <vmid> <snapname> [OPTIONS]',
  template: 'pct template <vmid>',
  exec: 'pct exec <vmid> [<extra-args>] [OPTIONS]',
  push: 'pct push <vmid> <file> <destination> [OPTIONS]',
  pull: 'pct pull <vmid> <path> <destination> [OPTIONS]',
  unlock: 'pct unlock <vmid>',
};

// ---- create ----------------------------------------------------------------------------------------------

const create: Command = {
  task: true,
  spec: lazyOptions(
    { usage: USAGE.create, positionals: [vmidArg, { name: 'ostemplate' }] },
    lxcCreateOptions,
  ),
  async run(ctx, p) {
    const id = Number(p.params.vmid);
    const o = p.opts;
    let sshKeys: string | undefined;
    if (o['ssh-public-keys'] !== undefined) {
      try {
        sshKeys = readFileSync(o['ssh-public-keys'], 'utf8');
      } catch {
        throw new PveError(`unable to open file '${o['ssh-public-keys']}' - No such file or directory`, 2);
      }
    }
    void sshKeys;
    const storage = o.storage ?? 'local';
    const out: string[] = [];
    const tmpl = p.params.ostemplate!;
    let tmplInfo = { path: '', exists: false };
    // pre-task checks, then the config is created holding `lock: create`
    await ctx.tx((s) => {
      checkUnused(s, String(id));
      getStorage(s, storage);
      if (o.rootfs === undefined || /^\d/.test(o.rootfs)) checkRootdirStorage(s, storage, 'storage');
      tmplInfo = templatePath(s, tmpl);
      const g = newGuest(id, 'lxc', ctx.now(), s.vmlistVersion + 1);
      g.config = { lock: 'create' };
      s.guests[id] = g;
    });
    const cleanup = async (): Promise<void> => {
      await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g) return;
        for (const d of configDisks('lxc', g.config)) freeVolume(s, d.volid);
        delete s.guests[id];
      });
    };
    const rc = await ctx.task(
      true,
      async () => {
        await ctx.sleep('pctCreate');
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g) throw new PveError(`unable to create CT ${id} - config file vanished`);
          const config: Record<string, string> = {};
          try {
            config.rootfs = allocMount(s, id, 'rootfs', o.rootfs ?? `${storage}:4`, storage, out);
            for (const [k, v] of Object.entries(o)) {
              if (/^mp\d+$/.test(k)) config[k] = allocMount(s, id, k, v, storage, out);
              else if (/^net\d+$/.test(k)) config[k] = normalizeNet(v, k);
            }
          } catch (e) {
            if (e instanceof ParamError)
              throw new PveError(
                `unable to create CT ${id} - ${e.render().split('\n').slice(1, -2).join(' ')}`,
              );
            throw e;
          }
          if (!tmplInfo.exists) {
            out.push(`extracting archive '${tmplInfo.path}'`);
            out.push(`tar: ${tmplInfo.path}: Cannot open: No such file or directory`);
            throw new PveError(
              `unable to create CT ${id} - command 'lxc-usernsexec -m u:0:100000:65536 -m g:0:100000:65536 -- tar xpf - --zstd --totals --one-file-system -p --sparse --numeric-owner --acls --xattrs '--xattrs-include=user.*' '--xattrs-include=security.capability' '--warning=no-file-ignored' '--warning=no-xattr-write' -C /var/lib/lxc/${id}/rootfs --skip-old-files --anchored --exclude './dev/*'' failed: exit code 2`,
            );
          }
          for (const k of Object.keys(lxcConfigOptions())) {
            const v = o[k];
            if (v === undefined || k in config || k === 'template' || k === 'lock') continue;
            if (k === 'unprivileged') continue;
            config[k] = v;
          }
          config.arch ??= 'amd64';
          config.hostname ??= `CT${id}`;
          config.memory ??= '512';
          config.swap ??= '512';
          config.ostype ??= ostypeOf(tmpl);
          if ((o.unprivileged ?? '1') === '1') config.unprivileged = '1';
          g.config = config;
          const size =
            s.storages[tmpl.split(':')[0] ?? '']?.volumes[tmpl.split(':')[1] ?? '']?.size ??
            126 * 1024 * 1024;
          out.push(`extracting archive '${tmplInfo.path}'`);
          out.push(`Total bytes read: ${size * 4} (${Math.round((size * 4) / 1048576)}MiB, 146MiB/s)`);
          out.push(`Detected container architecture: ${config.arch}`);
          if (config.ostype !== 'unmanaged') {
            for (const t of ['rsa', 'ecdsa', 'ed25519']) {
              out.push(`Creating SSH host key 'ssh_host_${t}_key' - this may take some time ...`);
              out.push(
                `done: SHA256:${crypto().createHash('sha256').update(`${id}${t}${ctx.now()}`).digest('base64').slice(0, 43)} root@${config.hostname}`,
              );
            }
          }
        });
        ctx.out(out.join('\n') + '\n');
        if (o.start === '1') {
          await ctx.sleep('start');
          await ctx.tx((s) => {
            const g = s.guests[id]!;
            setStatus(g, 'running', ctx.now(), nextPid(s));
          });
        }
      },
      async () => {
        if (out.length > 0) ctx.out(out.join('\n') + '\n');
        await cleanup();
      },
    );
    return rc;
  },
};

// ---- clone -----------------------------------------------------------------------------------------------

const clone: Command = {
  task: true,
  spec: {
    usage: USAGE.clone,
    positionals: [vmidArg, { name: 'newid', spec: vmidSpec }],
    options: {
      bwlimit: { type: 'number', min: 0 },
      description: { type: 'string' },
      full: bool,
      hostname: dnsNameSpec,
      pool: { type: 'string' },
      snapname: snapnameSpec,
      storage: { type: 'string' },
      target: { type: 'string' },
    },
  },
  async run(ctx, p) {
    const src = p.params.vmid!;
    const newid = Number(p.params.newid);
    const o = p.opts;
    let full = false;
    let running = false;
    let srcConfig: Record<string, string> = {};
    await ctx.tx((s) => {
      const g = s.guests[src];
      if (!g || g.type !== 'lxc') throw guestNotFound(s, 'lxc', src);
      checkUnused(s, String(newid));
      checkLock(g);
      full = o.full !== undefined ? o.full === '1' : !isTemplate(g);
      if (!full && o.storage !== undefined)
        throw new PveError("parameter 'storage' not allowed for linked clones");
      if (o.storage !== undefined) checkRootdirStorage(s, o.storage, 'storage');
      srcConfig = o.snapname ? { ...getSnapshot(g, o.snapname).config } : { ...g.config };
      running = g.status === 'running';
      if (full && running && !o.snapname) {
        throw new PveError('Full clone of a running container is only possible from a snapshot');
      }
      if (!full) {
        for (const d of configDisks('lxc', srcConfig)) {
          const sv = splitVolid(d.volid)!;
          if (!/(^|\/)(base|basevol)-/.test(sv[1].split('/').pop() ?? '')) {
            throw new PveError(`Linked clone feature for '${d.volid}' is not available`);
          }
        }
      }
      g.config.lock = 'disk';
      const ng = newGuest(newid, 'lxc', ctx.now(), s.vmlistVersion + 1);
      ng.config = { lock: 'create' };
      s.guests[newid] = ng;
    });
    return ctx.task(
      true,
      async () => {
        const out: string[] = [`creating a clone of container ${src} with ID ${newid}`];
        await ctx.sleep(full ? 'pctFullClone' : 'pctClone');
        await ctx.tx((s) => {
          const g = s.guests[src];
          const ng = s.guests[newid];
          if (!g || !ng) throw new PveError(`clone failed: guest vanished`);
          const conf: Record<string, string> = { ...srcConfig };
          for (const k of ['lock', 'parent', 'snaptime', 'snapstate', 'template']) delete conf[k];
          for (const d of configDisks('lxc', srcConfig)) {
            let volid: string | undefined;
            if (full) {
              out.push(`create full clone of mountpoint ${d.key} (${d.volid})`);
              const sid = o.storage ?? splitVolid(d.volid)![0];
              volid = allocDisk(s, sid, newid, 'rootdir', d.size || (lookupVolume(s, d.volid)?.size ?? GiB));
            } else {
              out.push(`create linked clone of mount point ${d.key} (${d.volid})`);
              volid = linkedClone(s, d.volid, newid, 'rootdir');
              if (!volid)
                throw new PveError(`clone failed: Linked clone feature for '${d.volid}' is not available`);
            }
            conf[d.key] = printPropString(d.key === 'rootfs' ? rootfsFormat : mpFormat, {
              ...d.map,
              volume: volid,
            });
          }
          for (const [k, v] of Object.entries(conf)) {
            if (/^net\d+$/.test(k)) {
              const r = parsePropString(lxcNetFormat, v, k);
              if (r.ok) conf[k] = printPropString(lxcNetFormat, { ...r.map, hwaddr: randomMac() });
            }
          }
          if (o.hostname) conf.hostname = o.hostname;
          if (o.description !== undefined) conf.description = o.description;
          ng.config = conf;
          ng.lxc = o.snapname
            ? g.snapshots[o.snapname]!.lxc.map(([a, b]) => [a, b])
            : g.lxc.map(([a, b]) => [a, b]);
          delete g.config.lock;
        });
        ctx.out(out.join('\n') + '\n');
      },
      async () => {
        await ctx.tx((s) => {
          const g = s.guests[src];
          if (g) delete g.config.lock;
          const ng = s.guests[newid];
          if (ng) {
            for (const d of configDisks('lxc', ng.config)) freeVolume(s, d.volid);
            delete s.guests[newid];
          }
        });
      },
    );
  },
};

// ---- set / config / pending --------------------------------------------------------------------------------

const set: Command = {
  spec: lazyOptions({ usage: USAGE.set, positionals: [vmidArg] }, lxcSetOptions),
  async run(ctx, p) {
    const id = p.params.vmid!;
    const o = { ...p.opts };
    const del = splitKeys(o.delete);
    const revert = splitKeys(o.revert);
    const digest = o.digest;
    delete o.delete;
    delete o.revert;
    delete o.digest;
    if (Object.keys(o).length === 0 && del.length === 0 && revert.length === 0) {
      throw new PveError('no options specified');
    }
    const warnings: string[] = [];
    await ctx.tx((s) => {
      const g = s.guests[id];
      if (!g || g.type !== 'lxc') throw guestNotFound(s, 'lxc', id);
      if (digest !== undefined && digest !== g.mirrorHash) {
        throw new PveError('detected modified configuration - file changed by other user? Try again.');
      }
      if (o.lock === undefined) checkLock(g);
      for (const k of Object.keys(o)) {
        if (k === 'unprivileged') throw new PveError(`unable to modify read-only option: '${k}'`);
      }
      const running = g.status === 'running';
      revertPending(g, revert);
      for (const k of del) {
        if (g.config[k] === undefined && g.pending[k] === undefined) {
          warnings.push(`cannot delete '${k}' - not set in current configuration!`);
          continue;
        }
        if (['memory', 'rootfs', 'ostype'].includes(k))
          throw new PveError(`unable to delete required option '${k}'`);
        if (k === 'unprivileged') throw new PveError(`unable to delete read-only option: '${k}'`);
        delete g.pending[k];
        if (!running || LXC_HOTPLUG.test(k)) {
          if (/^mp\d+$/.test(k)) {
            // a removed volume mount point becomes an unused disk
            const d = configDisks('lxc', { [k]: g.config[k]! })[0];
            if (d) addUnused(g, d.volid);
          } else if (/^unused\d+$/.test(k)) {
            freeVolume(s, g.config[k]!);
          }
          delete g.config[k];
          g.pendingDelete = g.pendingDelete.filter((x) => x !== k);
        } else if (!g.pendingDelete.includes(k)) {
          g.pendingDelete.push(k);
        }
      }
      const scratch: string[] = [];
      for (const [k, v0] of Object.entries(o)) {
        let v = v0;
        if (/^net\d+$/.test(k)) v = normalizeNet(v, k);
        else if (k === 'rootfs' || /^mp\d+$/.test(k)) v = allocMount(s, Number(id), k, v, 'local', scratch);
        setValue(g, k, v, !running || LXC_HOTPLUG.test(k));
      }
    });
    if (warnings.length > 0) ctx.err(warnings.join('\n') + '\n');
  },
};

const config: Command = {
  spec: {
    usage: USAGE.config,
    positionals: [vmidArg],
    options: { current: bool, snapshot: snapnameSpec },
  },
  run(ctx, p) {
    const s = ctx.read();
    const g = loadGuest(s, 'lxc', p.params.vmid!, 2);
    if (p.opts.snapshot !== undefined) {
      if (p.opts.current === '1')
        throw new PveError("option 'current' and 'snapshot' are mutually exclusive");
      const snap = getSnapshot(g, p.opts.snapshot);
      const c: Record<string, string> = { ...snap.config, snaptime: String(snap.snaptime) };
      if (snap.description) c.description = snap.description;
      ctx.out(printLxcConfig(c, snap.lxc));
      return;
    }
    ctx.out(printLxcConfig(effectiveConfig(g, p.opts.current === '1'), g.lxc));
  },
};

const pending: Command = {
  spec: { usage: USAGE.pending, positionals: [vmidArg], options: {} },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'lxc', p.params.vmid!, 2);
    const keys = new Set([...Object.keys(g.config), ...Object.keys(g.pending), ...g.pendingDelete]);
    let out = '';
    for (const k of [...keys].sort()) {
      if (k === 'digest') continue;
      const cur = g.config[k];
      const nv = g.pending[k];
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
  spec: { usage: USAGE.status, positionals: [vmidArg], options: { verbose: bool } },
  run(ctx, p) {
    const s = ctx.read();
    const g = loadGuest(s, 'lxc', p.params.vmid!, 2);
    if (p.opts.verbose !== '1') {
      ctx.out(`status: ${g.status}\n`);
      return;
    }
    const running = g.status === 'running';
    const c = effectiveConfig(g, true);
    const maxmem = Number(c.memory ?? 512) * 1024 * 1024;
    const rootfs = configDisks('lxc', c).find((d) => d.key === 'rootfs');
    const v: Record<string, string | number> = {
      cpus: Number(c.cores ?? 1),
      disk: running ? Math.floor((rootfs?.size ?? 0) * 0.12) : 0,
      diskread: running ? 52_428_800 : 0,
      diskwrite: running ? 10_485_760 : 0,
      maxdisk: rootfs?.size ?? 0,
      maxmem,
      maxswap: Number(c.swap ?? 512) * 1024 * 1024,
      mem: running ? Math.floor(maxmem * 0.08) : 0,
      name: guestName(g),
      netin: running ? 123_456 : 0,
      netout: running ? 23_456 : 0,
      status: g.status,
      swap: 0,
      type: 'lxc',
      uptime: running && g.startedAt ? Math.floor((ctx.now() - g.startedAt) / 1000) : 0,
      vmid: g.vmid,
    };
    if (g.config.lock) v.lock = g.config.lock;
    if (running && g.pid) v.pid = g.pid;
    if (isTemplate(g)) v.template = 1;
    if (running) {
      for (const k of [
        'pressurecpusome',
        'pressureiofull',
        'pressureiosome',
        'pressurememoryfull',
        'pressurememorysome',
      ])
        v[k] = 0;
    }
    ctx.out(
      Object.keys(v)
        .sort()
        .map((k) => `${k}: ${v[k]}\n`)
        .join(''),
    );
  },
};

const list: Command = {
  spec: { usage: USAGE.list, positionals: [], options: {} },
  run(ctx) {
    const s = ctx.read();
    const cts = Object.values(s.guests)
      .filter((g) => g.type === 'lxc')
      .sort((a, b) => a.vmid - b.vmid);
    if (cts.length === 0) return;
    const row = (a: string, b: string, c: string, d: string): string =>
      `${a.padEnd(10)} ${b.padEnd(10)} ${c.padEnd(12)} ${d.padEnd(20)}\n`;
    let out = row('VMID', 'Status', 'Lock', 'Name');
    for (const g of cts) out += row(String(g.vmid), g.status, g.config.lock ?? '', guestName(g));
    ctx.out(out);
  },
};

// ---- start / stop / shutdown / reboot ------------------------------------------------------------------------

const start: Command = {
  task: true,
  spec: { usage: USAGE.start, positionals: [vmidArg], options: { skiplock: bool, debug: bool } },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const pre = ctx.read().guests[id];
    if (pre && pre.type === 'lxc' && pre.status === 'running') throw new PveError(`CT ${id} already running`);
    return ctx.task(true, async () => {
      await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g || g.type !== 'lxc') throw guestNotFound(s, 'lxc', id);
        if (g.status === 'running') throw new PveError(`CT ${id} already running`);
        if (isTemplate(g)) throw new PveError("you can't start a CT if it's a template");
        if (p.opts.skiplock !== '1') checkLock(g);
      });
      await ctx.sleep('start');
      await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g) throw guestNotFound(s, 'lxc', id);
        applyPending(g);
        setStatus(g, 'running', ctx.now(), nextPid(s));
      });
    });
  },
};

function stopLike(kind: 'stop' | 'shutdown' | 'reboot'): Command {
  const options: Record<string, OptSpec> =
    kind === 'stop'
      ? { skiplock: bool, 'overrule-shutdown': bool, timeout: int(0) }
      : kind === 'shutdown'
        ? { timeout: int(0), forceStop: bool }
        : { timeout: int(0) };
  return {
    task: true,
    spec: { usage: USAGE[kind], positionals: [vmidArg], options },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const notRunning = kind === 'reboot' ? `VM ${id} not running` : `CT ${id} not running`;
      const pre = ctx.read().guests[id];
      if (!pre || pre.type !== 'lxc' || pre.status !== 'running') throw new PveError(notRunning);
      return ctx.task(true, async () => {
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g || g.type !== 'lxc' || g.status !== 'running') throw new PveError(notRunning);
          if (!(kind === 'stop' && p.opts.skiplock === '1')) checkLock(g);
        });
        await ctx.sleep(kind);
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g) throw guestNotFound(s, 'lxc', id);
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
    positionals: [vmidArg],
    options: { force: bool, purge: bool, 'destroy-unreferenced-disks': bool },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const force = p.opts.force === '1';
    await ctx.tx((s) => {
      const g = s.guests[id];
      if (!g || g.type !== 'lxc') throw guestNotFound(s, 'lxc', id);
      checkLock(g);
      if (g.config.protection === '1') throw new PveError(`can't remove CT ${id} - protection mode enabled`);
      if (g.status === 'running' && !force)
        throw new PveError(`unable to destroy CT ${id} - container is running`);
    });
    return ctx.task(true, async () => {
      const out: string[] = [];
      if (force && ctx.read().guests[id]?.status === 'running') {
        out.push(`forced to stop CT ${id} before destroying!`);
        await ctx.sleep('stop');
      }
      await ctx.sleep('destroy');
      await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g) throw guestNotFound(s, 'lxc', id);
        checkLock(g);
        out.push(
          ...destroyVolumes(
            s,
            g,
            (v) => `base volume '${splitVolid(v)![1]}' is still in use by linked clones`,
          ),
        );
        if (p.opts.purge === '1') out.push(`purging CT ${id} from related configurations..`);
        delete s.guests[id];
      });
      if (out.length > 0) ctx.out(out.join('\n') + '\n');
    });
  },
};

// ---- resize ----------------------------------------------------------------------------------------------

const resize: Command = {
  task: true,
  spec: {
    usage: USAGE.resize,
    positionals: [
      vmidArg,
      {
        name: 'disk',
        spec: { type: 'string', enum: ['rootfs', ...Array.from({ length: 256 }, (_, i) => `mp${i}`)] },
      },
      { name: 'size', spec: { type: 'string', pattern: /\+?\d+(\.\d+)?[KMGT]?/ } },
    ],
    options: { digest: { type: 'string' } },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const key = p.params.disk!;
    const sizeArg = p.params.size!;
    let newSize = 0;
    let volid = '';
    await ctx.tx((s) => {
      const g = s.guests[id];
      if (!g || g.type !== 'lxc') throw guestNotFound(s, 'lxc', id);
      checkLock(g);
      const d = configDisks('lxc', g.config).find((x) => x.key === key);
      if (!d) throw new PveError(`unable to resize ${key} - no such mount point or not a volume`);
      volid = d.volid;
      const cur = d.size || (lookupVolume(s, d.volid)?.size ?? 0);
      const n = sizeArg.startsWith('+') ? cur + parseSize(sizeArg.slice(1)) : parseSize(sizeArg);
      if (n < cur) throw new PveError('unable to shrink disk size');
      if (n === cur) throw new PveError('disk is already at specified size');
      newSize = n;
    });
    return ctx.task(false, async () => {
      await ctx.sleep('resize');
      const out: string[] = [];
      await ctx.tx((s) => {
        const g = loadGuest(s, 'lxc', id);
        const d = configDisks('lxc', g.config).find((x) => x.key === key);
        if (!d) throw new PveError(`unable to resize ${key}`);
        const [sid, name] = splitVolid(volid)!;
        if (s.storages[sid]?.type === 'lvmthin') {
          out.push(
            `  Size of logical volume pve/${name} changed from ${(d.size / GiB).toFixed(2)} GiB to ${(newSize / GiB).toFixed(2)} GiB.`,
            `  Logical volume pve/${name} successfully resized.`,
          );
        }
        const v = lookupVolume(s, volid);
        if (v) v.size = newSize;
        g.config[key] = printPropString(key === 'rootfs' ? rootfsFormat : mpFormat, {
          ...d.map,
          size: formatSize(newSize),
        });
      });
      if (out.length) ctx.out(out.join('\n') + '\n');
    });
  },
};

// ---- snapshots -------------------------------------------------------------------------------------------

const { snapshot, listsnapshot, delsnapshot, rollback } = snapshotCommands('lxc', USAGE);

// ---- template --------------------------------------------------------------------------------------------

const template: Command = {
  task: true,
  spec: { usage: USAGE.template, positionals: [vmidArg], options: {} },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await ctx.tx((s) => {
      const g = loadGuest(s, 'lxc', id);
      checkLock(g);
      if (isTemplate(g)) throw new PveError("you can't convert a template to a template");
      if (g.status === 'running')
        throw new PveError("you can't convert a CT to template if the CT is running");
      if (Object.keys(g.snapshots).length > 0)
        throw new PveError('unable to create template, because CT contains snapshots');
    });
    return ctx.task(false, async () => {
      await ctx.sleep('template');
      await ctx.tx((s) => {
        const g = loadGuest(s, 'lxc', id);
        for (const d of configDisks('lxc', g.config)) {
          const nv = makeBase(s, d.volid);
          g.config[d.key] = printPropString(d.key === 'rootfs' ? rootfsFormat : mpFormat, {
            ...d.map,
            volume: nv,
          });
        }
        g.config.template = '1';
      });
    });
  },
};

// ---- exec / push / pull / unlock -----------------------------------------------------------------------------

const exec: Command = {
  spec: {
    usage: USAGE.exec,
    positionals: [vmidArg, { name: 'extra-args' }],
    listParam: true,
    options: { 'keep-env': bool },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const g = loadGuest(ctx.read(), 'lxc', id);
    if (g.status !== 'running') throw new PveError(`container '${id}' not running!`);
    if (p.extra.length === 0)
      throw new PveError('missing command at /usr/share/perl5/PVE/CLI/pct.pm line 258.');
    await ctx.sleep('exec');
    const res = await runExecRules(ctx, Number(id), 'pct exec', p.extra);
    if (res.stdout) ctx.out(res.stdout);
    if (res.stderr) ctx.err(res.stderr);
    return res.exit;
  },
};

const push: Command = {
  task: true,
  spec: {
    usage: USAGE.push,
    positionals: [vmidArg, { name: 'file' }, { name: 'destination' }],
    options: { perms: { type: 'string' }, user: { type: 'string' }, group: { type: 'string' } },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const file = p.params.file!;
    const dest = p.params.destination!;
    const g = loadGuest(ctx.read(), 'lxc', id);
    if (g.status !== 'running') throw new PveError('can only push files to a running CT');
    return ctx.task(false, async () => {
      let data: Buffer;
      try {
        if (!statSync(file).isFile()) throw new Error('not a file');
        data = readFileSync(file);
      } catch {
        throw new PveError(`failed to open ${file} for reading`);
      }
      await ctx.sleep('push');
      const sha256 = crypto().createHash('sha256').update(data).digest('hex');
      await ctx.tx((s) => {
        const cur = loadGuest(s, 'lxc', id);
        const t = ctx.now();
        const rec = { t, src: file, dest, sha256, size: data.length } as GuestState['pushes'][number];
        if (p.opts.perms !== undefined) rec.perms = p.opts.perms;
        if (p.opts.user !== undefined) rec.user = p.opts.user;
        if (p.opts.group !== undefined) rec.group = p.opts.group;
        cur.pushes.push(rec);
        cur.files[dest] = {
          sha256,
          size: data.length,
          t,
          ...(p.opts.perms !== undefined ? { perms: p.opts.perms } : {}),
          ...(data.length <= 1024 * 1024 ? { content: data.toString('base64') } : {}),
        };
      });
    });
  },
};

const pull: Command = {
  task: true,
  spec: {
    usage: USAGE.pull,
    positionals: [vmidArg, { name: 'path' }, { name: 'destination' }],
    options: { perms: { type: 'string' }, user: { type: 'string' }, group: { type: 'string' } },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const g = loadGuest(ctx.read(), 'lxc', id);
    if (g.status !== 'running') {
      throw new PveError(
        'can only pull files from a running VM at /usr/share/perl5/PVE/CLI/pct.pm line 383.',
      );
    }
    return ctx.task(false, async () => {
      await ctx.sleep('pull');
      const f = g.files[p.params.path!];
      if (!f || f.content === undefined) throw new PveError(`failed to open ${p.params.path} for reading`);
      writeFileSync(p.params.destination!, Buffer.from(f.content, 'base64'));
    });
  },
};

const unlock: Command = {
  spec: { usage: USAGE.unlock, positionals: [vmidArg], options: {} },
  async run(ctx, p) {
    await ctx.tx((s) => {
      const g = loadGuest(s, 'lxc', p.params.vmid!);
      if (!g.config.lock) throw new PveError('no lock found trying to remove any lock');
      delete g.config.lock;
    });
  },
};

export const pctCommands: Registry = {
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
  resize,
  snapshot,
  listsnapshot,
  delsnapshot,
  rollback,
  template,
  exec,
  push,
  pull,
  unlock,
};
