// `pct destroy`: frees the CT's volumes (not a base volume linked clones still use).
import { checkLock, guestNotFound, loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool } from '../getopt.js';
import { destroyVolumes } from '../guests.js';
import { vmidArg } from '../props.js';
import { splitVolid } from '../storage.js';

export const destroy: Command = {
  task: true,
  spec: {
    usage: 'pct destroy <vmid> [OPTIONS]',
    positionals: [vmidArg],
    options: { force: bool, purge: bool, 'destroy-unreferenced-disks': bool },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const force = p.opts.force === '1';
    await ctx.tx((s) => {
      const g = loadGuest(s, 'lxc', id);
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
