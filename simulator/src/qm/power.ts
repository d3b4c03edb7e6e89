// `qm start`, `stop`, `shutdown` and `reboot`: a (re)start makes the pending changes current.
import { checkLock, guestNotFound, loadGuest, setStatus, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool, int, str, type OptSpec } from '../getopt.js';
import { isTemplate, startGuest } from '../guests.js';
import { vmidArg } from '../props.js';

export const start: Command = {
  task: true,
  spec: {
    usage: 'qm start <vmid> [OPTIONS]',
    positionals: [vmidArg],
    options: {
      skiplock: bool,
      timeout: int(0, 86400),
      machine: str,
      'force-cpu': str,
      migratedfrom: str,
      stateuri: str,
    },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', id);
      if (g.status === 'running') throw new PveError(`VM ${id} already running`);
      if (isTemplate(g)) throw new PveError("you can't start a vm if it's a template");
      if (p.opts.skiplock !== '1') checkLock(g);
    });
    return ctx.task(true, async () => {
      await ctx.sleep('start');
      await ctx.tx((s) => {
        const g = loadGuest(s, 'qemu', id);
        startGuest(s, g, ctx.now());
      });
    });
  },
};

function stopLike(kind: 'stop' | 'shutdown' | 'reboot'): Command {
  const options: Record<string, OptSpec> =
    kind === 'stop'
      ? { skiplock: bool, keepActive: bool, timeout: int(0), 'overrule-shutdown': bool, migratedfrom: str }
      : kind === 'shutdown'
        ? { skiplock: bool, keepActive: bool, timeout: int(0), forceStop: bool }
        : { timeout: int(0) };
  return {
    task: true,
    spec: { usage: `qm ${kind} <vmid> [OPTIONS]`, positionals: [vmidArg], options },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const running = await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g || g.type !== 'qemu') {
          throw kind === 'reboot'
            ? guestNotFound(s, 'qemu', id)
            : new PveError(`unable to find configuration file for VM ${id} on node '${s.node}'`);
        }
        if (kind === 'reboot' && g.status !== 'running') throw new PveError(`VM ${id} not running`);
        if (g.status === 'running' && p.opts.skiplock !== '1') checkLock(g);
        return g.status === 'running';
      });
      return ctx.task(true, async () => {
        if (!running) return; // stop/shutdown of a stopped VM is a silent success
        await ctx.sleep(kind);
        await ctx.tx((s) => {
          const g = loadGuest(s, 'qemu', id);
          setStatus(g, 'stopped', ctx.now());
          if (kind === 'reboot') startGuest(s, g, ctx.now());
        });
      });
    },
  };
}

export const stop = stopLike('stop');
export const shutdown = stopLike('shutdown');
export const reboot = stopLike('reboot');
