// `pct migrate` and `qm migrate` (offline, or a CT's restart mode): the guest's config moves to the target node's
// folder (/etc/pve/nodes/<target>/...) and its volumes on local storage go with it, as pve-container
// `src/PVE/LXC/Migrate.pm` (`prepare`, `phase1`, `move_config_to_node`) and qemu-server `src/PVE/QemuMigrate.pm`
// (`prepare`, `scan_local_volumes`) do. The refusals checked are the ones a fleet meets (docs/proxmox-facts.md F16.*):
// a running guest without `--restart` / `--online`, a CT's `--online`, a storage the target lacks, a snapshot of a
// local volume on a storage that cannot send one, a linked clone on local storage, a VM base disk with linked clones.
// Live migration of a running VM is not simulated (it is refused). A target that is no node: pve-cluster
// `PVE/Cluster.pm` `check_node_exists`.
import { checkLock, guestWord, loadGuest, setStatus, type Command } from './context.js';
import { PveError } from './errors.js';
import { bool, int } from './getopt.js';
import { configDisks, startGuest } from './guests.js';
import { vmidArg } from './props.js';
import {
  clusterOf,
  isShared,
  moveGuest,
  nodeView,
  storageOnNode,
  type GuestState,
  type SimState,
} from './state.js';
import { baseOf, isFileStorage, linkedUsers, splitVolid } from './storage.js';

export function migrateCommand(type: 'lxc' | 'qemu'): Command {
  const tool = type === 'lxc' ? 'pct' : 'qm';
  return {
    task: true,
    spec: {
      usage: `${tool} migrate <vmid> <target> [OPTIONS]`,
      positionals: [vmidArg, { name: 'target', spec: { type: 'string' } }],
      options:
        type === 'lxc'
          ? { online: bool, restart: bool, timeout: int(0), bwlimit: { type: 'number', min: 0 } }
          : { online: bool, 'with-local-disks': bool, bwlimit: { type: 'number', min: 0 } },
    },
    async run(ctx, p) {
      const id = p.params.vmid!;
      const target = p.params.target!;
      let restart = false;
      await ctx.tx((s) => {
        if (target === s.node)
          throw new PveError(`400 Parameter verification failed.\ntarget: target is local node.`);
        if (!s.nodes.includes(target)) throw new PveError(`no such cluster node '${target}'`);
        const g = loadGuest(s, type, id);
        restart = check(s, g, target, p.opts);
      });
      return ctx.task(true, async () => {
        ctx.out(`starting migration of ${guestWord(type)} ${id} to node '${target}'\n`);
        await ctx.sleep(type === 'lxc' ? 'pctFullClone' : 'qmClone');
        await ctx.tx((s) => {
          const g = loadGuest(s, type, id);
          check(s, g, target, p.opts);
          const volids = [
            ...configDisks(type, g.config, true).map((d) => d.volid),
            ...Object.values(g.snapshots).flatMap((snap) =>
              configDisks(type, snap.config, true).map((d) => d.volid),
            ),
          ];
          if (restart) setStatus(g, 'stopped', ctx.now());
          moveGuest(s, id, target, [...new Set(volids)]);
          if (restart) startGuest(nodeView(clusterOf(s), target), g, ctx.now());
        });
        ctx.out('migration finished successfully\n');
      });
    },
  };
}

/** The refusals before anything moves; returns whether the guest is restarted (a running CT with --restart). */
function check(s: SimState, g: GuestState, target: string, opts: Record<string, string>): boolean {
  checkLock(g);
  const running = g.status === 'running';
  if (running && g.type === 'lxc') {
    if (opts.online === '1') throw new PveError('lxc live migration is currently not implemented');
    if (opts.restart !== '1')
      throw new PveError("can't migrate running container without --online or --restart");
  }
  if (running && g.type === 'qemu') {
    if (opts.online !== '1') throw new PveError("can't migrate running VM without --online");
    throw new PveError('simulator: live migration of a running VM is not simulated');
  }
  const content = g.type === 'lxc' ? 'rootdir' : 'images';
  const snapshotted = new Set(
    Object.values(g.snapshots).flatMap((snap) => configDisks(g.type, snap.config).map((d) => d.volid)),
  );
  const problems: string[] = [];
  for (const d of configDisks(g.type, g.config)) {
    const [sid, volname] = splitVolid(d.volid)!;
    const st = s.storages[sid];
    if (!st) throw new PveError(`storage '${sid}' does not exist`);
    if (!storageOnNode(st, target) || st.disabled)
      throw new PveError(`storage '${sid}' is not available on node '${target}'`);
    if (!st.content.includes(content))
      throw new PveError(`${d.volid}: content type '${content}' is not available on storage '${sid}'`);
    if (isShared(st) || d.cloudinit) continue;
    const qcow2 = isFileStorage(st) && volname.endsWith('.qcow2') && g.type === 'qemu';
    if (snapshotted.has(d.volid) && st.type !== 'zfspool' && !qcow2)
      problems.push(`can't migrate local volume '${d.volid}': non-migratable snapshot exists`);
    else if (baseOf(volname) !== undefined)
      problems.push(`can't migrate local volume '${d.volid}': clone of '${baseOf(volname)!}'`);
    else if (g.type === 'qemu' && linkedUsers(s, d.volid).length > 0)
      problems.push(`can't migrate local disk '${d.volid}': referenced by linked clone(s)`);
  }
  if (problems.length > 0)
    throw new PveError(`${problems.join('\n')}\ncan't migrate ${g.type === 'lxc' ? 'CT' : 'VM'} - check log`);
  return running;
}

/**
 * `clone --target NODE` (pve-container `API2/LXC.pm` and qemu-server `API2/Qemu.pm` `clone_vm`): the clone is made
 * on the source's node, then its config moves to NODE, so every disk (or `--storage`) must be on shared storage.
 * Returns the node the clone goes to, or undefined when it stays (no target, or the target is this node).
 */
export function cloneTarget(
  s: SimState,
  type: 'lxc' | 'qemu',
  srcConfig: Record<string, string>,
  storage: string | undefined,
  target: string | undefined,
): string | undefined {
  if (target === undefined || target === s.node || target === 'localhost') return undefined;
  if (!s.nodes.includes(target)) throw new PveError(`no such cluster node '${target}'`);
  if (storage !== undefined) {
    const st = s.storages[storage];
    if (st && !storageOnNode(st, target))
      throw new PveError(`storage '${storage}' is not available on node '${target}'`);
    if (st && !isShared(st)) throw new PveError(`can't clone to non-shared storage '${storage}'`);
  }
  const local = configDisks(type, srcConfig).some((d) => {
    if (d.cloudinit) return false;
    const st = s.storages[storage ?? splitVolid(d.volid)![0]];
    return st === undefined || !isShared(st);
  });
  const word = type === 'lxc' ? 'CT' : 'VM';
  if (local) throw new PveError(`can't clone ${word} to node '${target}' (${word} uses local storage)`);
  return target;
}
