// Rules that span guests (clones, dependencies, cycles) and the scripts a fleet refers to.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Fleet, Guest, GuestKind, HostSetupStep, Problem } from './model.js';
import { error, warning, type JsonPath } from './problems.js';
import { guestCycles } from '../graph/guests.js';
import { completeMap, mapOverlap } from '../tasks/lxc-idmap.js';

const kindName = (g: Guest) => (g.kind === 'lxc' ? 'container' : 'VM');
const at = (g: Guest, ...rest: JsonPath): [string, JsonPath] => [g.origin.file, [...g.origin.path, ...rest]];

/** The kind of each guest whose own entry is invalid (reported already): still defined for the rules here. */
type Invalid = ReadonlyMap<number, { kind: GuestKind }>;

/**
 * Every cross-guest rule. The fleet holds the guests whose own config parsed; `invalid` the others, which count as
 * defined (one mistake gives one error, not one more per clone or dependant).
 */
export function validateFleet(fleet: Fleet, invalid: Invalid = new Map()): Problem[] {
  return [
    ...checkSources(fleet),
    ...checkClones(fleet, invalid),
    ...checkCloneDisks(fleet),
    ...checkBindMountSources(fleet),
    ...checkMountPaths(fleet),
    ...checkIdMaps(fleet),
    ...checkVmVolumes(fleet),
    ...checkDependencies(fleet, invalid),
    ...checkCycles(fleet),
    ...checkHostSteps(fleet),
    ...checkFirewallOff(fleet),
  ];
}

/**
 * Guests with a firewall while the host firewall Phoenix writes is off: with cluster.fw's `enable: 0` pve-firewall
 * applies no rule at all, the guests' included (docs/proxmox-facts.md F15.3).
 */
function checkFirewallOff(fleet: Fleet): Problem[] {
  const step = fleet.hostSteps.find((s) => s.own === 'firewall');
  if (step?.origin === undefined || fleet.hypervisor.shared_volumes?.firewall?.enabled !== false) return [];
  const walled = [...fleet.guests.values()].filter((g) => g.config.firewall?.enabled).map((g) => g.id);
  if (walled.length === 0) return [];
  return [
    warning(
      step.origin.file,
      [...step.origin.path, 'enabled'],
      `${walled.join(', ')} declare${walled.length === 1 ? 's' : ''} a firewall, but with the datacenter firewall off Proxmox applies no rule, theirs included`,
      'set enabled: true (and mind default_input_policy), or leave shared_volumes.firewall out to keep cluster.fw as it is',
    ),
  ];
}

/** A container needs an OS template or a clone source; a VM needs a cloud image or a clone source. */
function checkSources(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  for (const g of fleet.guests.values()) {
    if (g.kind === 'lxc' && g.config.template === undefined && g.cloneFrom === undefined) {
      problems.push(
        error(
          ...at(g),
          `container ${g.id} has neither template nor clone_from_ctid`,
          'set template (an OS template) or clone_from_ctid',
        ),
      );
    }
    if (g.kind === 'vm' && g.config.template_image === undefined && g.cloneFrom === undefined) {
      problems.push(
        error(
          ...at(g),
          `VM ${g.id} has neither template_image nor clone_from_vmid`,
          'set template_image (a cloud image) or clone_from_vmid',
        ),
      );
    }
  }
  return problems;
}

function checkClones(fleet: Fleet, invalid: Invalid): Problem[] {
  const problems: Problem[] = [];
  for (const g of fleet.guests.values()) {
    if (g.cloneFrom === undefined) continue;
    const key = g.kind === 'lxc' ? 'clone_from_ctid' : 'clone_from_vmid';
    const source = fleet.guests.get(g.cloneFrom);
    const sourceKind = source?.kind ?? invalid.get(g.cloneFrom)?.kind;
    if (g.cloneFrom === g.id) {
      problems.push(
        error(
          ...at(g, key),
          `${kindName(g)} ${g.id} cannot be cloned from itself`,
          `point ${key} at a template`,
        ),
      );
    } else if (sourceKind === undefined) {
      problems.push(
        error(
          ...at(g, key),
          `${key} ${g.cloneFrom} names no guest in this config`,
          `define ${g.cloneFrom} or correct the ID`,
        ),
      );
    } else if (sourceKind !== g.kind) {
      const other = sourceKind === 'lxc' ? 'container' : 'VM';
      problems.push(
        error(
          ...at(g, key),
          `${key} ${g.cloneFrom} names a ${other}; a ${kindName(g)} can only be cloned from a ${kindName(g)}`,
          `use ${g.kind === 'lxc' ? 'a container' : 'a VM'} ID`,
        ),
      );
    } else if (source === undefined) {
      // The source's own entry is invalid: its error is the one to fix.
    } else if (source.kind === 'lxc' && source.config.template_snapshot_name === undefined) {
      problems.push(
        error(
          ...at(g, key),
          `container ${source.id} is cloned here but defines no template_snapshot_name`,
          `add template_snapshot_name to container ${source.id}`,
        ),
      );
    } else if (
      source.kind === 'vm' &&
      source.config.template_snapshot_name === undefined &&
      !source.config.is_template
    ) {
      problems.push(
        error(
          ...at(g, key),
          `VM ${source.id} is cloned here but is neither a template (is_template) nor defines template_snapshot_name`,
          `set is_template: true or template_snapshot_name on VM ${source.id}`,
        ),
      );
    }
  }
  return problems;
}

const diskSize = (g: Guest): { key: string; gb: number } =>
  g.kind === 'lxc'
    ? { key: 'storage_size_gb', gb: g.config.storage_size_gb }
    : { key: 'disk_size_gb', gb: g.config.disk_size_gb };

/**
 * A clone starts with its source's disk, and disks are never shrunk: a clone configured smaller than its source
 * would fail at its `configure` (VM) or `disk` (container) step, after it was cloned. Warned here, before anything
 * runs (a warning: the user's HEAD tree has such a VM, 1001 at 32 GB from 9000 at the 50 GB default, and still loads).
 */
function checkCloneDisks(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  for (const g of fleet.guests.values()) {
    const source = g.cloneFrom === undefined ? undefined : fleet.guests.get(g.cloneFrom);
    if (source === undefined || source.kind !== g.kind) continue;
    const own = diskSize(g);
    const from = diskSize(source);
    if (own.gb >= from.gb) continue;
    problems.push(
      warning(
        ...at(g, own.key),
        `${own.key} ${own.gb} is smaller than the ${from.gb} GB disk ${kindName(g)} ${g.id} gets as a clone of ${source.id}; disks are never shrunk, so building it fails`,
        `set ${own.key} to ${from.gb} or more, or lower ${from.key} of ${kindName(source)} ${source.id}`,
      ),
    );
  }
  return problems;
}

/**
 * `pct clone` refuses a source (or snapshot) with a mount point that is not a volume: pve-container
 * `API2/LXC.pm` `clone_vm` dies `unable to clone mountpoint 'mp0' (type bind)` (or `type device`). A clone gets
 * its own bind mounts from its own `volumes`, applied by its `configure` after cloning.
 */
function checkBindMountSources(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  const cloned = new Map<number, number[]>();
  for (const g of fleet.guests.values())
    if (g.kind === 'lxc' && g.cloneFrom !== undefined)
      cloned.set(g.cloneFrom, [...(cloned.get(g.cloneFrom) ?? []), g.id]);
  for (const [sourceId, clones] of cloned) {
    const source = fleet.guests.get(sourceId);
    if (source?.kind !== 'lxc') continue;
    const binds = [
      ...source.config.volumes.flatMap((v, index) =>
        v.host_path === undefined ? [] : [{ host: v.host_path, where: ['volumes', index, 'host_path'] }],
      ),
      ...source.config.mount_points.map((m, index) => ({
        host: m.host_path,
        where: ['mount_points', index, 'host_path'],
      })),
    ];
    binds.forEach(({ host, where }) => {
      const type = host.startsWith('/dev/') ? 'device' : 'bind';
      const list = clones.sort((a, b) => a - b).join(', ');
      problems.push(
        error(
          ...at(source, ...where),
          `container ${source.id} is cloned by ${list}, and Proxmox cannot clone a container with a ${type} mount ` +
            `(pct clone: unable to clone mountpoint (type ${type}))`,
          `move this mount to the volumes of the clones that need it (a clone gets its own mounts after cloning)`,
        ),
      );
    });
  }
  return problems;
}

/**
 * A container's mount points: one per container path; and a container with a bind mount cannot be snapshotted
 * (docs/proxmox-facts.md F9.4), so it cannot have a template_snapshot_name and takes no lifecycle snapshot.
 */
function checkMountPaths(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  for (const g of fleet.guests.values()) {
    if (g.kind !== 'lxc') continue;
    const c = g.config;
    const paths: [string, JsonPath][] = [
      ...c.zfs_volumes.map((v, i): [string, JsonPath] => [v.mount_point, ['zfs_volumes', i, 'mount_point']]),
      ...c.volumes.map((v, i): [string, JsonPath] => [v.mount_point, ['volumes', i, 'mount_point']]),
      ...c.mount_points.map((m, i): [string, JsonPath] => [
        m.container_path,
        ['mount_points', i, 'container_path'],
      ]),
    ];
    const seen = new Map<string, string>();
    for (const [p, where] of paths) {
      const first = seen.get(p);
      if (first !== undefined)
        problems.push(
          error(...at(g, ...where), `${p} is already mounted by ${first}`, 'mount each container path once'),
        );
      else seen.set(p, where.join('.'));
    }
    const bind = c.mount_points.length > 0 || c.volumes.some((v) => v.host_path !== undefined);
    if (!bind) continue;
    const why = 'Proxmox cannot snapshot a container with a bind mount (snapshot feature is not available)';
    if (c.template_snapshot_name !== undefined)
      problems.push(
        error(
          ...at(g, 'template_snapshot_name'),
          `container ${g.id} has a bind mount, and ${why}`,
          'remove template_snapshot_name, or the bind mounts',
        ),
      );
    else if (c.enable_lifecycle_snapshots === true)
      problems.push(
        warning(
          ...at(g, 'enable_lifecycle_snapshots'),
          `container ${g.id} takes no lifecycle snapshot: ${why}`,
          'remove enable_lifecycle_snapshots, or set it to false',
        ),
      );
  }
  return problems;
}

/**
 * A VM's NFS `volumes`: each mount point once; none on a template, whose volumes the user's vm-manager never
 * mounted either (a clone mounts its own).
 */
function checkVmVolumes(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  for (const g of fleet.guests.values()) {
    if (g.kind !== 'vm' || g.config.volumes.length === 0) continue;
    if (g.config.is_template) {
      problems.push(
        error(
          ...at(g, 'volumes'),
          `VM ${g.id} is a template: a template never runs, so nothing mounts its volumes`,
          'move the volumes to the VMs cloned from it',
        ),
      );
      continue;
    }
    const seen = new Map<string, number>();
    g.config.volumes.forEach((v, i) => {
      const first = seen.get(v.mount_point);
      if (first === undefined) seen.set(v.mount_point, i);
      else
        problems.push(
          error(
            ...at(g, 'volumes', i, 'mount_point'),
            `${v.mount_point} is already the mount point of volumes.${first}`,
            'mount each folder once',
          ),
        );
    });
  }
  return problems;
}

/**
 * `id_maps`: only for an unprivileged container, never beside raw `lxc.idmap` lines, and no id mapped twice on
 * either side once the usual shift fills the rest (pve-container `LXC.pm` `validate_id_maps`; Proxmox would only
 * warn at start and LXC then fail).
 */
function checkIdMaps(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  for (const g of fleet.guests.values()) {
    if (g.kind !== 'lxc' || g.config.id_maps.length === 0) continue;
    if (!g.config.unprivileged) {
      problems.push(
        error(
          ...at(g, 'id_maps'),
          `container ${g.id} is privileged: its ids are the host's, there is nothing to map`,
          'set unprivileged: true, or remove id_maps',
        ),
      );
      continue;
    }
    const raw = g.config.lxc_options.findIndex((l) => /^lxc\.idmap\s*[:=]/.test(l));
    if (raw >= 0)
      problems.push(
        error(
          ...at(g, 'lxc_options', raw),
          'lxc.idmap lines and id_maps would both write the map',
          'keep id_maps and remove the lxc.idmap line',
        ),
      );
    for (const type of ['u', 'g'] as const) {
      const overlap = mapOverlap(completeMap(g.config.id_maps, type));
      if (overlap === undefined) continue;
      const index = g.config.id_maps.findIndex((m) => (m.type === 'uid' ? 'u' : 'g') === type);
      problems.push(
        error(
          ...at(g, 'id_maps', Math.max(index, 0)),
          overlap,
          'map each container id and each host id once (host ids 100000..165535 are the shifted ids around the entries)',
        ),
      );
    }
  }
  return problems;
}

function checkDependencies(fleet: Fleet, invalid: Invalid): Problem[] {
  const problems: Problem[] = [];
  for (const g of fleet.guests.values()) {
    g.dependencies.forEach((dep, index) => {
      if (dep === g.id) {
        problems.push(
          error(
            ...at(g, 'dependencies', index),
            `${kindName(g)} ${g.id} depends on itself`,
            'remove it from its own dependencies',
          ),
        );
      } else if (!fleet.guests.has(dep) && !invalid.has(dep)) {
        problems.push(
          error(
            ...at(g, 'dependencies', index),
            `dependency ${dep} names no guest in this config`,
            `define ${dep} or remove it from dependencies`,
          ),
        );
      }
    });
  }
  return problems;
}

/** Each cycle once, as the whole path: `720 -> 740 -> 720`, reported at the guest with the smallest ID. */
function checkCycles(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  for (const path of guestCycles(fleet)) {
    const cycle = path.slice(0, -1);
    const start = cycle.indexOf(Math.min(...cycle));
    const ordered = [...cycle.slice(start), ...cycle.slice(0, start)];
    const first = fleet.guests.get(ordered[0]!);
    if (first === undefined) continue;
    problems.push(
      error(
        ...at(first),
        `cycle through clones and dependencies: ${[...ordered, ordered[0]].join(' -> ')}`,
        'remove one clone_from or dependency on this path',
      ),
    );
  }
  return problems;
}

function checkHostSteps(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  const byName = new Map<string, string>();
  fleet.hostSteps.forEach((step) => {
    const other = byName.get(step.name);
    if (other !== undefined) {
      problems.push(
        error(
          ...stepAt(fleet, step),
          `setup scripts ${other} and ${step.script} both make step host:${step.name}`,
          'list each setup script once',
        ),
      );
    }
    byName.set(step.name, step.script);
  });
  return problems;
}

/** Where a host step is listed, or the hypervisor section when it comes from the default sequence. */
function stepAt(fleet: Fleet, step: HostSetupStep): [string, JsonPath] {
  return step.origin === undefined ? [fleet.hypervisorConfigFile, []] : [step.origin.file, step.origin.path];
}

/**
 * A missing script is a warning: a config may be validated away from the host that has them. When a whole scripts
 * folder is missing, that is one warning (at its first use) rather than one per script. A script Phoenix starts on
 * the host that has neither its run bit nor a `#!` line to run it with is a warning naming the fix.
 */
export function checkScripts(
  fleet: Fleet,
  exists: (file: string) => boolean = existsSync,
  unrunnable: ReadonlySet<string> = new Set(),
): Problem[] {
  const problems: Problem[] = [];
  const missingDirs = new Map<string, Problem>();
  const check = (file: string, where: [string, JsonPath], what: string, onHost = false) => {
    if (exists(file)) {
      if (onHost && unrunnable.has(file))
        problems.push(
          warning(
            ...where,
            `${what} ${file} has no run bit and no #! line, so it cannot be started`,
            `chmod +x ${file}, or make its first line #!/bin/bash`,
          ),
        );
      return;
    }
    const dir = path.dirname(file);
    if (exists(dir)) {
      problems.push(warning(...where, `${what} not found: ${file}`, 'create the script or correct the name'));
      return;
    }
    const seen = missingDirs.get(dir);
    if (seen !== undefined) {
      seen.message = seen.message.replace(/\((\d+) scripts?/, (_, n: string) => `(${Number(n) + 1} scripts`);
      return;
    }
    const p = warning(
      ...where,
      `scripts folder not found: ${dir} (1 script expected there)`,
      'create the folder, or point the scripts setting at it',
    );
    missingDirs.set(dir, p);
    problems.push(p);
  };
  for (const step of fleet.hostSteps)
    if (!step.own) check(step.path, stepAt(fleet, step), 'hypervisor setup script', true);
  for (const g of fleet.guests.values()) {
    g.scripts.features.forEach((f, index) =>
      check(f.path, at(g, 'features', index), `feature script for ${f.name}`, g.kind === 'lxc'),
    );
    if (g.scripts.application !== undefined)
      check(g.scripts.application, at(g, 'application_script'), 'application script');
    if (g.scripts.healthCheck !== undefined)
      check(g.scripts.healthCheck, at(g, 'health_check', 'command'), 'health check script', true);
    if (g.scripts.portainer !== undefined)
      check(g.scripts.portainer, at(g, 'portainer_role'), 'portainer feature script', true);
    if (g.scripts.nvidiaCheck !== undefined && exists(g.scripts.nvidiaCheck))
      check(g.scripts.nvidiaCheck, at(g, 'features'), 'NVIDIA health check', true);
    if (g.scripts.apparmorProfile !== undefined && !exists(g.scripts.apparmorProfile))
      problems.push(
        warning(
          ...at(g, 'apparmor_profile'),
          `no profile file ${g.scripts.apparmorProfile}: the host must already have this AppArmor profile`,
          'add the profile file there, or correct the name',
        ),
      );
    for (const [suite, cases] of Object.entries(g.scripts.tests)) {
      cases.forEach((c, index) =>
        check(c.path, at(g, 'tests', suite, index, 'path'), `test script "${c.name}"`),
      );
    }
  }
  const tested = [...fleet.guests.values()].find((g) => Object.keys(g.scripts.tests).length > 0);
  if (tested !== undefined) check(fleet.guestTestRunner, at(tested, 'tests'), 'guest test runner', true);
  return problems;
}
