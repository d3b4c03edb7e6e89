// `qm set`, with changes to a running VM kept pending; `qm config` and `qm pending` (config-commands.ts).
import { configCommands } from '../config-commands.js';
import { checkLock, loadGuest, type Command } from '../context.js';
import { lazyOptions } from '../getopt.js';
import { addUnused, checkDigest, configDisks, revertPending, setRequest, setValue } from '../guests.js';
import { vmidArg } from '../props.js';
import { freeVolume } from '../storage.js';
import { setOptions, VM_HOTPLUG } from './options.js';
import { prepareValue } from './values.js';

export const set: Command = {
  spec: lazyOptions({ usage: 'qm set <vmid> [OPTIONS]', positionals: [vmidArg] }, setOptions),
  async run(ctx, p) {
    const id = p.params.vmid!;
    const skiplock = p.opts.skiplock === '1';
    const { values: o, del, revert, digest } = setRequest(p.opts, ['skiplock', 'force']);
    const out: string[] = [];
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', id);
      checkDigest(g, digest);
      if (!skiplock && o.lock === undefined) checkLock(g);
      const running = g.status === 'running';
      revertPending(g, revert);
      for (const k of del) {
        if (g.config[k] === undefined && g.pending[k] === undefined) continue;
        delete g.pending[k];
        if (!running || VM_HOTPLUG.test(k)) {
          const d = /^(ide|sata|scsi|virtio)\d+$/.test(k)
            ? configDisks('qemu', { [k]: g.config[k]! })[0]
            : undefined;
          if (d && !d.cloudinit) addUnused(g, d.volid);
          else if (d?.cloudinit) freeVolume(s, d.volid);
          if (/^unused\d+$/.test(k)) freeVolume(s, g.config[k]!);
          delete g.config[k];
        } else if (!g.pendingDelete.includes(k)) g.pendingDelete.push(k);
      }
      for (const [k, v0] of Object.entries(o)) {
        const v = prepareValue(s, Number(id), k, v0, out, g.config[k]);
        setValue(g, k, v, !running || VM_HOTPLUG.test(k));
      }
    });
    if (out.length > 0) ctx.out(out.join('\n') + '\n');
  },
};

export const { config, pending } = configCommands('qemu', {
  config: 'qm config <vmid> [OPTIONS]',
  pending: 'qm pending <vmid>',
});
