// `qm template`: turns the VM's disks (or one, `--disk`) into base volumes for linked clones.
import { checkLock, loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { configDisks, isTemplate } from '../guests.js';
import { driveFormat, printPropString, vmidArg } from '../props.js';
import { makeBase } from '../storage.js';

export const template: Command = {
  task: true,
  spec: {
    usage: 'qm template <vmid> [OPTIONS]',
    positionals: [vmidArg],
    options: { disk: { type: 'string', pattern: /(ide|sata|scsi|virtio|efidisk|tpmstate)\d+/ } },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', id);
      checkLock(g);
      // In qemu-server's order (API2/Qemu.pm `template`): snapshots, then template, then running.
      if (Object.keys(g.snapshots).length > 0)
        throw new PveError('unable to create template, because VM contains snapshots');
      if (isTemplate(g)) throw new PveError("you can't convert a template to a template");
      if (g.status === 'running') throw new PveError("you can't convert a VM to template if VM is running");
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
