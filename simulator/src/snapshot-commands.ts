// `snapshot`, `listsnapshot`, `delsnapshot` and `rollback`: the same handlers serve pct and qm (Proxmox shares
// them in PVE::AbstractConfig); the kind only decides the disks that must support snapshots and RAM state.
import { checkLock, loadGuest, setStatus, type Command } from './context.js';
import { PveError } from './errors.js';
import { bool } from './getopt.js';
import { configDisks, isTemplate, nextPid } from './guests.js';
import { snapnameSpec, vmidArg } from './props.js';
import {
  checkSnapshotName,
  deleteSnapshot,
  getSnapshot,
  rollbackSnapshot,
  snapshotTree,
  takeSnapshot,
} from './snapshots.js';
import type { GuestType } from './state.js';
import { canSnapshot } from './storage.js';

const snapname = { name: 'snapname', spec: snapnameSpec };

export interface SnapshotUsage {
  snapshot: string;
  listsnapshot: string;
  delsnapshot: string;
  rollback: string;
}

export function snapshotCommands(
  type: GuestType,
  usage: SnapshotUsage,
): Record<'snapshot' | 'listsnapshot' | 'delsnapshot' | 'rollback', Command> {
  const vm = type === 'qemu';
  const snapshot: Command = {
    task: true,
    spec: {
      usage: usage.snapshot,
      positionals: [vmidArg, snapname],
      options: { description: { type: 'string' }, ...(vm && { vmstate: bool }) },
    },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const name = p.params.snapname!;
      loadGuest(ctx.read(), type, id);
      let locked = false;
      return ctx.task(
        true,
        async () => {
          await ctx.tx((s) => {
            const g = loadGuest(s, type, id);
            checkLock(g);
            if (isTemplate(g)) throw new PveError("you can't take a snapshot if it's a template");
            checkSnapshotName(g, name);
            for (const d of configDisks(type, g.config)) {
              if (!d.cloudinit && !canSnapshot(s, d.volid))
                throw new PveError('snapshot feature is not available');
            }
            // A bind or device mount point is asked too, and a host path has no snapshot feature (F9.4).
            if (
              type === 'lxc' &&
              Object.entries(g.config).some(([k, v]) => /^mp\d+$/.test(k) && v.startsWith('/'))
            )
              throw new PveError('snapshot feature is not available');
            g.config.lock = 'snapshot';
            locked = true;
          });
          await ctx.sleep('snapshot');
          await ctx.tx((s) => {
            const g = loadGuest(s, type, id);
            delete g.config.lock;
            takeSnapshot(g, name, ctx.now(), p.opts.description);
            if (vm && p.opts.vmstate === '1' && g.status === 'running')
              g.snapshots[name]!.config.vmstate = `local-lvm:vm-${id}-state-${name}`;
          });
        },
        async () => {
          if (!locked) return;
          ctx.out('snapshot create failed: starting cleanup\n');
          await ctx.tx((s) => {
            const g = s.guests[id];
            if (g) delete g.config.lock;
          });
        },
      );
    },
  };

  const listsnapshot: Command = {
    spec: { usage: usage.listsnapshot, positionals: [vmidArg], options: {} },
    run(ctx, p) {
      ctx.out(snapshotTree(loadGuest(ctx.read(), type, p.params.vmid!)));
    },
  };

  const delsnapshot: Command = {
    task: true,
    spec: { usage: usage.delsnapshot, positionals: [vmidArg, snapname], options: { force: bool } },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const name = p.params.snapname!;
      return ctx.task(true, async () => {
        await ctx.tx((s) => {
          const g = loadGuest(s, type, id);
          checkLock(g);
          getSnapshot(g, name);
          g.config.lock = 'snapshot-delete';
        });
        await ctx.sleep('delsnapshot');
        await ctx.tx((s) => {
          const g = loadGuest(s, type, id);
          delete g.config.lock;
          deleteSnapshot(g, name);
        });
      });
    },
  };

  // Rollback stops a running guest first; a VM whose snapshot holds RAM starts again by itself.
  const rollback: Command = {
    task: true,
    spec: { usage: usage.rollback, positionals: [vmidArg, snapname], options: { start: bool } },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const name = p.params.snapname!;
      return ctx.task(true, async () => {
        let withState = false;
        await ctx.tx((s) => {
          const g = loadGuest(s, type, id);
          checkLock(g);
          if (isTemplate(g)) throw new PveError("you can't rollback if vm is a template");
          const snap = getSnapshot(g, name);
          if (snap.snapstate)
            throw new PveError(`unable to rollback to incomplete snapshot (snapstate = ${snap.snapstate})`);
          withState = vm && snap.config.vmstate !== undefined;
          if (g.status === 'running') setStatus(g, 'stopped', ctx.now());
          g.config.lock = 'rollback';
        });
        await ctx.sleep('rollback');
        await ctx.tx((s) => {
          const g = loadGuest(s, type, id);
          rollbackSnapshot(g, name);
          if (vm) delete g.config.vmstate;
          if (p.opts.start === '1' || withState) setStatus(g, 'running', ctx.now(), nextPid(s));
        });
      });
    },
  };

  return { snapshot, listsnapshot, delsnapshot, rollback };
}
