// `pct template`: turns the CT's volumes into base volumes for linked clones.
import { checkLock, loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { configDisks, isTemplate } from '../guests.js';
import { mountFormat, printPropString, vmidArg } from '../props.js';
import { makeBase } from '../storage.js';

export const template: Command = {
  task: true,
  spec: { usage: 'pct template <vmid>', positionals: [vmidArg], options: {} },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await ctx.tx((s) => {
      const g = loadGuest(s, 'lxc', id);
      checkLock(g);
      // In pve-container's order (API2/LXC.pm `template`): snapshots, then template, then running.
      if (Object.keys(g.snapshots).length > 0)
        throw new PveError('unable to create template, because CT contains snapshots');
      if (isTemplate(g)) throw new PveError("you can't convert a template to a template");
      if (g.status === 'running')
        throw new PveError("you can't convert a CT to template if the CT is running");
    });
    return ctx.task(false, async () => {
      await ctx.sleep('template');
      await ctx.tx((s) => {
        const g = loadGuest(s, 'lxc', id);
        for (const d of configDisks('lxc', g.config)) {
          const nv = makeBase(s, d.volid);
          g.config[d.key] = printPropString(mountFormat(d.key), {
            ...d.map,
            volume: nv,
          });
        }
        g.config.template = '1';
      });
    });
  },
};
