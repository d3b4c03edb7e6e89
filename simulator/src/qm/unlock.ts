// `qm unlock`: removes the config's `lock:`.
import { loadGuest, type Command } from '../context.js';
import { vmidArg } from '../props.js';

export const unlock: Command = {
  spec: { usage: 'qm unlock <vmid>', positionals: [vmidArg], options: {} },
  async run(ctx, p) {
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', p.params.vmid!);
      delete g.config.lock;
    });
  },
};
