// `pct unlock`: removes the config's `lock:`.
import { loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { vmidArg } from '../props.js';

export const unlock: Command = {
  spec: { usage: 'pct unlock <vmid>', positionals: [vmidArg], options: {} },
  async run(ctx, p) {
    await ctx.tx((s) => {
      const g = loadGuest(s, 'lxc', p.params.vmid!);
      if (!g.config.lock) throw new PveError('no lock found trying to remove any lock');
      delete g.config.lock;
    });
  },
};
