// `qm disk import` and `qm disk resize` (also `qm importdisk` and `qm resize`).
import { checkLock, loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool, str } from '../getopt.js';
import { addUnused, configDisks } from '../guests.js';
import {
  driveFormat,
  formatSize,
  GiB,
  parseSize,
  printPropString,
  storageIdSpec,
  vmidArg,
} from '../props.js';
import { allocDisk, getStorage, lookupVolume } from '../storage.js';
import { importSource, roundMiB } from './drives.js';

export const diskImport: Command = {
  spec: {
    usage: 'qm disk import <vmid> <source> <storage> [OPTIONS]',
    positionals: [vmidArg, { name: 'source' }, { name: 'storage', spec: storageIdSpec }],
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

export const diskResize: Command = {
  task: true,
  spec: {
    usage: 'qm disk resize <vmid> <disk> <size> [OPTIONS]',
    positionals: [
      vmidArg,
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
