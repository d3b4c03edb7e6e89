// `pct resize`: grows a mount point's volume (an unchecked task: failures still exit 0).
import { checkLock, loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { configDisks } from '../guests.js';
import { formatSize, GiB, mountFormat, parseSize, printPropString, vmidArg } from '../props.js';
import { lookupVolume, splitVolid } from '../storage.js';

export const resize: Command = {
  task: true,
  spec: {
    usage: 'pct resize <vmid> <disk> <size> [OPTIONS]',
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
      const g = loadGuest(s, 'lxc', id);
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
        g.config[key] = printPropString(mountFormat(key), {
          ...d.map,
          size: formatSize(newSize),
        });
      });
      if (out.length) ctx.out(out.join('\n') + '\n');
    });
  },
};
