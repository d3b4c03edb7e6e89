// `qm start`, `stop`, `shutdown` and `reboot`: a (re)start makes the pending changes current.
import { checkLock, guestNotFound, loadGuest, setStatus, type Command } from '../context.js';
import { PveError } from '../errors.js';
import { bool, int, str, type OptSpec } from '../getopt.js';
import { bootCloudInit } from '../cloud-init-boot.js';
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
        bootCloudInit(ctx.dir, s, g);
        startGuest(s, g, ctx.now());
      });
    });
  },
};

/**
 * qemu-server `src/PVE/API2/Qemu.pm` `vm_stop` / `vm_shutdown` / `vm_reboot` and `QemuServer.pm` `_do_vm_stop`:
 * stop quits QEMU at once (a stopped VM: silent success); shutdown asks the guest and waits `--timeout`, else the
 * `down=` of `startup` when non-zero, else 60 s, then `--forceStop` terminates it or the task fails with
 * `VM quit/powerdown failed - got timeout`. Shutdown of a stopped VM warns `VM N not running` (and an empty line)
 * before the task and exits 0. Reboot is a shutdown without force, then a start.
 */
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
      const { running, down } = await ctx.tx((s) => {
        const g = s.guests[id];
        if (!g || g.type !== 'qemu') {
          throw kind === 'reboot'
            ? guestNotFound(s, 'qemu', id)
            : new PveError(`unable to find configuration file for VM ${id} on node '${s.node}'`);
        }
        if (kind === 'reboot' && g.status !== 'running') throw new PveError(`VM ${id} not running`);
        if (g.status === 'running' && p.opts.skiplock !== '1') checkLock(g);
        const startupDown = /(?:^|,)down=(\d+)/.exec(g.config.startup ?? '')?.[1];
        return { running: g.status === 'running', down: Number(startupDown ?? 0) };
      });
      if (!running && kind === 'shutdown') ctx.err(`VM ${id} not running\n\n`);
      return ctx.task(true, async () => {
        if (!running) return;
        if (kind !== 'stop' && ctx.cfg.ignoresShutdown.includes(Number(id))) {
          const timeout = p.opts.timeout !== undefined ? Number(p.opts.timeout) : down > 0 ? down : 60;
          await ctx.sleepMs(timeout * 1000);
          if (kind === 'reboot' || p.opts.forceStop !== '1')
            throw new PveError('VM quit/powerdown failed - got timeout');
          ctx.out('VM still running - terminating now with SIGTERM\n');
        } else {
          await ctx.sleep(kind);
        }
        await ctx.tx((s) => {
          const g = loadGuest(s, 'qemu', id);
          setStatus(g, 'stopped', ctx.now());
          if (kind === 'reboot') {
            bootCloudInit(ctx.dir, s, g);
            startGuest(s, g, ctx.now());
          }
        });
      });
    },
  };
}

export const stop = stopLike('stop');
export const shutdown = stopLike('shutdown');
export const reboot = stopLike('reboot');
