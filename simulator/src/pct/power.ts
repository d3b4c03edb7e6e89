// `pct start`, `stop`, `shutdown` and `reboot`: a (re)start makes the pending changes current.
import { checkLock, guestNotFound, loadGuest, setStatus, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool, int, type OptSpec } from '../getopt.js';
import { isTemplate, startGuest } from '../guests.js';
import { vmidArg } from '../props.js';
import { missingBindDir, unheldIdRange } from './mounts.js';

export const start: Command = {
  task: true,
  spec: {
    usage: 'pct start <vmid> [OPTIONS]',
    positionals: [vmidArg],
    options: { skiplock: bool, debug: bool },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const pre = ctx.read().guests[id];
    if (pre && pre.type === 'lxc' && pre.status === 'running') throw new PveError(`CT ${id} already running`);
    return ctx.task(true, async () => {
      await ctx.tx((s) => {
        const g = loadGuest(s, 'lxc', id);
        if (g.status === 'running') throw new PveError(`CT ${id} already running`);
        if (isTemplate(g)) throw new PveError("you can't start a CT if it's a template");
        if (p.opts.skiplock !== '1') checkLock(g);
        // The pre-start hook mounts every mount point, pending ones included (F13.1).
        const missing = missingBindDir(ctx.dir, { ...g.config, ...g.pending });
        if (missing)
          throw new PveError(
            `mount point ${missing.key}: directory '${missing.path}' does not exist\nstartup for container '${id}' failed`,
          );
        const unheld = unheldIdRange(ctx.dir, g.lxc);
        if (unheld) throw new PveError(`${unheld}\nstartup for container '${id}' failed`);
      });
      await ctx.sleep('start');
      await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g) throw guestNotFound(s, 'lxc', id);
        startGuest(s, g, ctx.now());
      });
    });
  },
};

/**
 * pve-container `src/PVE/API2/LXC/Status.pm`: `vm_stop` (no `--timeout`: pulling the plug, `lxc-stop --kill`),
 * `vm_shutdown` (`--timeout`, default 60, then `--forceStop` kills it or the task fails with
 * `container did not stop`) and `vm_reboot` (a shutdown that kills after its timeout, then a start). A CT that is
 * not running is refused before the task (`CT N not running`; reboot says `VM N not running`, as the source does).
 */
function stopLike(kind: 'stop' | 'shutdown' | 'reboot'): Command {
  const options: Record<string, OptSpec> =
    kind === 'stop'
      ? { skiplock: bool, 'overrule-shutdown': bool }
      : kind === 'shutdown'
        ? { timeout: int(0), forceStop: bool }
        : { timeout: int(0) };
  return {
    task: true,
    spec: { usage: `pct ${kind} <vmid> [OPTIONS]`, positionals: [vmidArg], options },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const notRunning = kind === 'reboot' ? `VM ${id} not running` : `CT ${id} not running`;
      const pre = ctx.read().guests[id];
      if (!pre || pre.type !== 'lxc' || pre.status !== 'running') throw new PveError(notRunning);
      return ctx.task(true, async () => {
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g || g.type !== 'lxc' || g.status !== 'running') throw new PveError(notRunning);
          // vm_reboot takes the config lock but never checks `lock:` (PVE::LXC::vm_reboot).
          if (kind !== 'reboot' && !(kind === 'stop' && p.opts.skiplock === '1')) checkLock(g);
        });
        if (kind !== 'stop' && ctx.cfg.ignoresShutdown.includes(Number(id))) {
          // lxc-stop --nokill waits the whole timeout (lxc's default 60 when reboot gives none).
          const timeout = Number(p.opts.timeout ?? 60);
          await ctx.sleepMs(timeout * 1000);
          if (kind === 'shutdown' && p.opts.forceStop !== '1') {
            ctx.err(`command 'lxc-stop -n ${id} --nokill --timeout ${timeout}' failed: exit code 1\n`);
            throw new PveError('container did not stop');
          }
        } else {
          await ctx.sleep(kind);
        }
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g) throw guestNotFound(s, 'lxc', id);
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
