// `pct clone`: linked clones of a template's base volumes, or full copies (of a stopped CT or a snapshot).
import { checkLock, checkUnused, loadGuest, newGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool } from '../getopt.js';
import { configDisks, discardGuest, isTemplate, randomMac } from '../guests.js';
import {
  dnsNameSpec,
  GiB,
  lxcNetFormat,
  mountFormat,
  parsePropString,
  printPropString,
  snapnameSpec,
  vmidArg,
  vmidSpec,
} from '../props.js';
import { getSnapshot } from '../snapshots.js';
import { allocDisk, isBaseVolume, linkedClone, lookupVolume, splitVolid } from '../storage.js';
import { checkRootdirStorage } from './mounts.js';
import { cloneTarget } from '../migrate.js';
import { moveGuest } from '../state.js';

export const clone: Command = {
  task: true,
  spec: {
    usage: 'pct clone <vmid> <newid> [OPTIONS]',
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
    let target: string | undefined;
    await ctx.tx((s) => {
      const g = loadGuest(s, 'lxc', src);
      checkUnused(s, String(newid));
      checkLock(g);
      full = o.full !== undefined ? o.full === '1' : !isTemplate(g);
      if (!full && o.storage !== undefined)
        throw new PveError("parameter 'storage' not allowed for linked clones");
      if (o.storage !== undefined) checkRootdirStorage(s, o.storage, 'storage');
      srcConfig = o.snapname ? { ...getSnapshot(g, o.snapname).config } : { ...g.config };
      target = cloneTarget(s, 'lxc', srcConfig, o.storage, o.target);
      running = g.status === 'running';
      if (full && running && !o.snapname) {
        throw new PveError('Full clone of a running container is only possible from a snapshot');
      }
      // pve-container `src/PVE/API2/LXC.pm` `clone_vm`: a mount point that is not a volume cannot be cloned
      // (`PVE::LXC::Config->classify_mountpoint`: `/dev/...` is a device, any other path a bind mount).
      for (const key of Object.keys(srcConfig)
        .filter((k) => /^mp\d+$/.test(k))
        .sort()) {
        const volume = (srcConfig[key] ?? '').split(',')[0] ?? '';
        if (!volume.startsWith('/')) continue;
        const type = volume.startsWith('/dev/') ? 'device' : 'bind';
        throw new PveError(`unable to clone mountpoint '${key}' (type ${type})`);
      }
      if (!full) {
        for (const d of configDisks('lxc', srcConfig)) {
          if (!isBaseVolume(d.volid)) {
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
            conf[d.key] = printPropString(mountFormat(d.key), {
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
          if (target !== undefined) moveGuest(s, String(newid), target, []);
        });
        ctx.out(out.join('\n') + '\n');
      },
      async () => {
        await ctx.tx((s) => {
          const g = s.guests[src];
          if (g) delete g.config.lock;
          discardGuest(s, newid);
        });
      },
    );
  },
};
