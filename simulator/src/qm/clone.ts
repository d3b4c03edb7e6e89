// `qm clone`: linked clones of a template's base volumes, or full copies; new MACs, smbios uuid and vmgenid.
import { checkLock, loadGuest, newGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool, int, str } from '../getopt.js';
import { configDisks, discardGuest, isTemplate, newUuid } from '../guests.js';
import {
  dnsNameSpec,
  driveFormat,
  GiB,
  parsePropString,
  printPropString,
  smbiosFormat,
  snapnameSpec,
  storageIdSpec,
  vmidArg,
  vmidSpec,
} from '../props.js';
import { getSnapshot } from '../snapshots.js';
import { allocCloudinit, allocDisk, isBaseVolume, linkedClone, splitVolid } from '../storage.js';
import { checkImagesStorage } from './drives.js';
import { normalizeNet } from './values.js';
import { cloneTarget } from '../migrate.js';
import { moveGuest } from '../state.js';

export const clone: Command = {
  task: true,
  spec: {
    usage: 'qm clone <vmid> <newid> [OPTIONS]',
    positionals: [vmidArg, { name: 'newid', spec: vmidSpec }],
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
    let target: string | undefined;
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
      target = cloneTarget(s, 'qemu', srcConfig, o.storage, o.target);
      if (!full) {
        for (const d of configDisks('qemu', srcConfig)) {
          if (d.cloudinit) continue;
          if (!isBaseVolume(d.volid)) {
            throw new PveError(`Linked clone feature is not supported for '${d.volid}' (${d.key})`);
          }
        }
      }
      const ng = newGuest(newid, 'qemu', ctx.now(), s.vmlistVersion + 1);
      ng.config = { lock: 'clone' };
      if (g.guestAgent !== undefined) ng.guestAgent = g.guestAgent; // the disk is the source's
      if (g.fstab !== undefined) ng.fstab = g.fstab;
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
          if (target !== undefined) moveGuest(s, String(newid), target, []);
        });
        ctx.out(out.join('\n') + '\n');
      },
      async () => {
        await ctx.tx((s) => discardGuest(s, newid));
      },
    );
  },
};
