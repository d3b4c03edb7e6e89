// `config` and `pending`: the same handlers serve pct and qm (Proxmox shares them in PVE::AbstractConfig); the
// kind only decides the raw `lxc.*` lines, the `--current`/`--snapshot` check, the `digest` key and the VM
// password mask.
import { printLxcConfig } from './conffile.js';
import { effectiveConfig, loadGuest, type Command } from './context.js';
import { PveError } from './errors.js';
import { bool } from './getopt.js';
import { maskPassword } from './guests.js';
import { snapnameSpec, vmidArg } from './props.js';
import { getSnapshot } from './snapshots.js';
import type { GuestType } from './state.js';

export interface ConfigUsage {
  config: string;
  pending: string;
}

export function configCommands(type: GuestType, usage: ConfigUsage): Record<'config' | 'pending', Command> {
  const ct = type === 'lxc';
  // What a read shows: a VM's stored password masked (API2/Qemu.pm, vm_config), a CT's config as it is.
  const shown = (c: Record<string, string>): Record<string, string> => (ct ? c : maskPassword(c));
  const config: Command = {
    spec: { usage: usage.config, positionals: [vmidArg], options: { current: bool, snapshot: snapnameSpec } },
    run(ctx, p) {
      const g = loadGuest(ctx.read(), type, p.params.vmid!, 2);
      if (p.opts.snapshot !== undefined) {
        if (ct && p.opts.current === '1')
          throw new PveError("option 'current' and 'snapshot' are mutually exclusive");
        const snap = getSnapshot(g, p.opts.snapshot);
        const c: Record<string, string> = { ...shown(snap.config), snaptime: String(snap.snaptime) };
        if (snap.description) c.description = snap.description;
        ctx.out(printLxcConfig(c, ct ? snap.lxc : []));
        return;
      }
      ctx.out(printLxcConfig(shown(effectiveConfig(g, p.opts.current === '1')), ct ? g.lxc : []));
    },
  };

  // One line per key: `cur`, `new` (a pending value) or `del` (a pending deletion).
  const pending: Command = {
    spec: { usage: usage.pending, positionals: [vmidArg], options: {} },
    run(ctx, p) {
      const g = loadGuest(ctx.read(), type, p.params.vmid!, 2);
      const keys = new Set([...Object.keys(g.config), ...Object.keys(g.pending), ...g.pendingDelete]);
      let out = '';
      for (const k of [...keys].sort()) {
        if (ct && k === 'digest') continue;
        const cur = shown(g.config)[k];
        const nv = shown(g.pending)[k];
        if (g.pendingDelete.includes(k)) out += `del ${k}: ${cur ?? ''}\n`;
        else if (nv !== undefined) {
          if (cur !== undefined) out += `cur ${k}: ${cur}\n`;
          out += `new ${k}: ${nv}\n`;
        } else out += `cur ${k}: ${cur}\n`;
      }
      ctx.out(out);
    },
  };

  return { config, pending };
}
