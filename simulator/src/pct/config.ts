// `pct set`, with changes to a running CT kept pending; `pct config` and `pct pending` (config-commands.ts).
import { configCommands } from '../config-commands.js';
import { checkLock, loadGuest, type Command } from '../context.js';
import { ParamError, PveError } from '../errors.js';
import { lazyOptions } from '../getopt.js';
import { addUnused, checkDigest, configDisks, revertPending, setRequest, setValue } from '../guests.js';
import { vmidArg } from '../props.js';
import { freeVolume } from '../storage.js';
import { allocMount, missingBindDir } from './mounts.js';
import { normalizeNet } from './net.js';
import { LXC_HOTPLUG, lxcSetOptions } from './options.js';

export const set: Command = {
  spec: lazyOptions({ usage: 'pct set <vmid> [OPTIONS]', positionals: [vmidArg] }, lxcSetOptions),
  async run(ctx, p) {
    const id = p.params.vmid!;
    const { values: o, del, revert, digest } = setRequest(p.opts);
    const warnings: string[] = [];
    await ctx.tx((s) => {
      const g = loadGuest(s, 'lxc', id);
      checkDigest(g, digest);
      if (o.lock === undefined) checkLock(g);
      for (const k of Object.keys(o)) {
        if (k === 'unprivileged') throw new PveError(`unable to modify read-only option: '${k}'`);
      }
      const running = g.status === 'running';
      revertPending(g, revert);
      for (const k of del) {
        if (g.config[k] === undefined && g.pending[k] === undefined) {
          warnings.push(`cannot delete '${k}' - not set in current configuration!`);
          continue;
        }
        if (['memory', 'rootfs', 'ostype'].includes(k))
          throw new PveError(`unable to delete required option '${k}'`);
        if (k === 'unprivileged') throw new PveError(`unable to delete read-only option: '${k}'`);
        delete g.pending[k];
        if (!running || LXC_HOTPLUG.test(k)) {
          if (/^mp\d+$/.test(k)) {
            // a removed volume mount point becomes an unused disk
            const d = configDisks('lxc', { [k]: g.config[k]! })[0];
            if (d) addUnused(g, d.volid);
          } else if (/^unused\d+$/.test(k)) {
            freeVolume(s, g.config[k]!);
          }
          delete g.config[k];
          g.pendingDelete = g.pendingDelete.filter((x) => x !== k);
        } else if (!g.pendingDelete.includes(k)) {
          g.pendingDelete.push(k);
        }
      }
      const scratch: string[] = [];
      for (const [k, v0] of Object.entries(o)) {
        let v = v0;
        if (/^net\d+$/.test(k)) v = normalizeNet(v, k);
        else if (k === 'rootfs' || /^mp\d+$/.test(k)) v = allocMount(s, Number(id), k, v, 'local', scratch);
        // A bind mount hot-plugged into a running CT is mounted at once: its folder must exist (F13.1).
        const missing = running && LXC_HOTPLUG.test(k) ? missingBindDir(ctx.dir, { [k]: v }) : undefined;
        if (missing)
          throw new ParamError({ [k]: `unable to hotplug ${k}: directory '${missing.path}' does not exist` });
        setValue(g, k, v, !running || LXC_HOTPLUG.test(k));
      }
    });
    if (warnings.length > 0) ctx.err(warnings.join('\n') + '\n');
  },
};

export const { config, pending } = configCommands('lxc', {
  config: 'pct config <vmid> [OPTIONS]',
  pending: 'pct pending <vmid>',
});
