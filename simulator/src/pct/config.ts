// `pct set`, `pct config` and `pct pending`: the config, with changes to a running CT kept pending.
import { printLxcConfig } from '../conffile.js';
import { checkLock, effectiveConfig, guestNotFound, loadGuest, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool, lazyOptions } from '../getopt.js';
import { addUnused, configDisks, revertPending, setValue, splitKeys } from '../guests.js';
import { snapnameSpec, vmidArg } from '../props.js';
import { getSnapshot } from '../snapshots.js';
import { freeVolume } from '../storage.js';
import { allocMount } from './mounts.js';
import { normalizeNet } from './net.js';
import { LXC_HOTPLUG, lxcSetOptions } from './options.js';

export const set: Command = {
  spec: lazyOptions({ usage: 'pct set <vmid> [OPTIONS]', positionals: [vmidArg] }, lxcSetOptions),
  async run(ctx, p) {
    const id = p.params.vmid!;
    const o = { ...p.opts };
    const del = splitKeys(o.delete);
    const revert = splitKeys(o.revert);
    const digest = o.digest;
    delete o.delete;
    delete o.revert;
    delete o.digest;
    if (Object.keys(o).length === 0 && del.length === 0 && revert.length === 0) {
      throw new PveError('no options specified');
    }
    const warnings: string[] = [];
    await ctx.tx((s) => {
      const g = s.guests[id];
      if (!g || g.type !== 'lxc') throw guestNotFound(s, 'lxc', id);
      if (digest !== undefined && digest !== g.mirrorHash) {
        throw new PveError('detected modified configuration - file changed by other user? Try again.');
      }
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
        setValue(g, k, v, !running || LXC_HOTPLUG.test(k));
      }
    });
    if (warnings.length > 0) ctx.err(warnings.join('\n') + '\n');
  },
};

export const config: Command = {
  spec: {
    usage: 'pct config <vmid> [OPTIONS]',
    positionals: [vmidArg],
    options: { current: bool, snapshot: snapnameSpec },
  },
  run(ctx, p) {
    const s = ctx.read();
    const g = loadGuest(s, 'lxc', p.params.vmid!, 2);
    if (p.opts.snapshot !== undefined) {
      if (p.opts.current === '1')
        throw new PveError("option 'current' and 'snapshot' are mutually exclusive");
      const snap = getSnapshot(g, p.opts.snapshot);
      const c: Record<string, string> = { ...snap.config, snaptime: String(snap.snaptime) };
      if (snap.description) c.description = snap.description;
      ctx.out(printLxcConfig(c, snap.lxc));
      return;
    }
    ctx.out(printLxcConfig(effectiveConfig(g, p.opts.current === '1'), g.lxc));
  },
};

export const pending: Command = {
  spec: { usage: 'pct pending <vmid>', positionals: [vmidArg], options: {} },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'lxc', p.params.vmid!, 2);
    const keys = new Set([...Object.keys(g.config), ...Object.keys(g.pending), ...g.pendingDelete]);
    let out = '';
    for (const k of [...keys].sort()) {
      if (k === 'digest') continue;
      const cur = g.config[k];
      const nv = g.pending[k];
      if (g.pendingDelete.includes(k)) out += `del ${k}: ${cur ?? ''}\n`;
      else if (nv !== undefined) {
        if (cur !== undefined) out += `cur ${k}: ${cur}\n`;
        out += `new ${k}: ${nv}\n`;
      } else out += `cur ${k}: ${cur}\n`;
    }
    ctx.out(out);
  },
};
