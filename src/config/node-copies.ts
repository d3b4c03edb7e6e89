// A template's per-node copies (`node_copies: { pve2: 9002 }`): Proxmox clones a guest only on the node that holds
// it, and a template on one node's local storage cannot be cloned to another (docs/proxmox-facts.md F16.4). So the
// config names a copy per node, with its VMID; each copy is a guest of its own in the fleet, made from the template
// (a full clone, moved to its node: commands.ts routeClone) and made a template there with the same snapshot
// name. Clones whose `node` key names that node are cloned from the copy. Pure: fleet in, fleet and problems out.
import type { Fleet, Guest, Problem } from './model.js';
import { error } from './problems.js';

/** The steps a copy has: made, then made a clone source (its template snapshot, or a VM's `qm template`). */
export const COPY_STEPS: readonly string[] = ['define', 'snapshot', 'template'];

/**
 * Adds each valid copy to `fleet.guests` and points the clones placed on a copy's node at it; returns the
 * problems: copies on a guest that is no template, a copy on the template's own node, a copy VMID that another
 * guest or copy has. `taken` holds every declared ID (guests whose own entry is invalid included).
 */
export function addNodeCopies(fleet: Fleet, taken: ReadonlySet<number>): Problem[] {
  const problems: Problem[] = [];
  const copyOf = new Map<string, number>(); // `template/node` -> copy ID
  const used = new Map<number, string>(); // copy ID -> where it was named
  for (const t of [...fleet.guests.values()]) {
    const copies = t.config.node_copies;
    if (copies === undefined) continue;
    const where = [...t.origin.path, 'node_copies'];
    if (!isTemplate(t)) {
      problems.push(
        error(
          t.origin.file,
          where,
          `${t.id} has node_copies but is not a template: only a clone source is copied to other nodes`,
          t.kind === 'vm'
            ? `set is_template: true on VM ${t.id}, or remove node_copies`
            : `set template_snapshot_name on container ${t.id}, or remove node_copies`,
        ),
      );
      continue;
    }
    for (const [node, id] of Object.entries(copies)) {
      const path = [...where, node];
      const here = `${t.origin.file} at ${[...path].join('.')}`;
      const clash =
        node === t.config.node
          ? `names ${node}, the node ${t.id} itself is on (its node key): that node needs no copy`
          : taken.has(id)
            ? `copy ID ${String(id)} is already a guest's ID`
            : used.has(id)
              ? `copy ID ${String(id)} is also named at ${used.get(id) ?? ''}`
              : undefined;
      if (clash !== undefined) {
        problems.push(
          error(
            t.origin.file,
            path,
            clash,
            'give each copy a VMID no guest or other copy has, on another node',
          ),
        );
        continue;
      }
      used.set(id, here);
      copyOf.set(`${String(t.id)}/${node}`, id);
      fleet.guests.set(id, copyGuest(t, node, id));
    }
  }
  for (const g of fleet.guests.values()) {
    const node = g.config.node;
    if (g.cloneFrom === undefined || g.copyOf !== undefined || node === undefined) continue;
    const copy = copyOf.get(`${String(g.cloneFrom)}/${node}`);
    if (copy !== undefined) g.cloneFrom = copy;
  }
  return problems;
}

/** A guest whose clones are made from its template snapshot or (a VM) its base disks. */
function isTemplate(g: Guest): boolean {
  return g.kind === 'vm' ? g.config.is_template : g.config.template_snapshot_name !== undefined;
}

/**
 * The copy as a guest: the template's settings on `node`, cloned from the template, with none of the template's
 * own work (features, scripts, health check, tests, dependencies): the clone carries what they left.
 */
function copyGuest(t: Guest, node: string, id: number): Guest {
  const base = {
    id,
    // Its settings are the template's: a message about one names the template's field.
    origin: t.origin,
    scripts: { features: [], tests: {} },
    cloneFrom: t.id,
    copyOf: { template: t.id, node },
    dependencies: [],
    bootOrder: t.bootOrder,
  };
  const common = {
    name: `${t.config.name}-${node}`,
    node,
    features: [],
    dependencies: [],
    start_at_boot: false,
    enable_lifecycle_snapshots: false,
  };
  if (t.kind === 'lxc') {
    const {
      application_script: _a,
      health_check: _h,
      tests: _t,
      portainer_role: _p,
      node_copies: _n,
      ...rest
    } = t.config;
    return { ...base, kind: 'lxc', config: { ...rest, ...common, clone_from_ctid: t.id } };
  }
  const { node_copies: _n, ...rest } = t.config;
  return { ...base, kind: 'vm', config: { ...rest, ...common, clone_from_vmid: t.id, volumes: [] } };
}
