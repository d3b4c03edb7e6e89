// `qm destroy`: frees the VM's volumes (not a base volume linked clones still use).
import { checkLock, loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool } from '../getopt.js';
import { destroyVolumes } from '../guests.js';
import { vmidArg } from '../props.js';

export const destroy: Command = {
  task: true,
  spec: {
    usage: 'qm destroy <vmid> [OPTIONS]',
    positionals: [vmidArg],
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
