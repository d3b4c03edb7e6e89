// What a token must be allowed for a fleet, and what it lacks: the privileges each step's API calls check, per ACL
// path, against what `GET /access/permissions?path=P` answers (pve-access-control `src/PVE/API2/AccessControl.pm`
// `permissions`: privilege -> propagate flag, for the token as its ACLs and its user's leave it). Pure; the
// `doctor` verb reads the permissions and prints the fixes.
import type { GuestKind } from '../../config/model.js';

/** One privilege a fleet needs on one path; `or`: another grant that does as well (download-url's). */
export interface PrivilegeNeed {
  path: string;
  privilege: string;
  /** Who needs it, for messages: `CT 101 define`. */
  why: string;
  or?: { path: string; privileges: string[] };
}

/**
 * Privileges on `/vms/<id>` per step kind, for the API calls the step makes; steps whose commands take the ssh lane
 * as root (raw lxc lines, bind mounts, pct exec) need none. Sources: pve-container `src/PVE/API2/LXC.pm`
 * (`create_vm`, `clone_vm`, `template`, `resize_vm`) and `src/PVE/LXC.pm` `check_ct_modify_config_perm`;
 * qemu-server `src/PVE/API2/Qemu.pm` (`create_vm`, `$check_vm_modify_config_perm`, `$check_vm_create_serial_perm`,
 * `template`) and `src/PVE/API2/Qemu/Agent.pm` (ping: VM.GuestAgent.Audit; exec: VM.GuestAgent.Unrestricted);
 * pve-guest-common `AbstractConfig.pm` snapshots (VM.Snapshot). Every read of a guest checks VM.Audit.
 */
const GUEST_STEP_PRIVILEGES: Record<GuestKind, Record<string, readonly string[]>> = {
  lxc: {
    define: ['VM.Allocate', 'VM.Config.Disk', 'VM.Config.CPU', 'VM.Config.Memory', 'VM.Config.Network'],
    configure: ['VM.Config.CPU', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.Options'],
    firewall: ['VM.Config.Network'],
    disk: ['VM.Config.Disk'],
    start: ['VM.PowerMgmt'],
    snapshot: ['VM.Snapshot'],
  },
  vm: {
    define: [
      'VM.Allocate',
      'VM.Config.Disk',
      'VM.Config.CPU',
      'VM.Config.Memory',
      'VM.Config.Network',
      'VM.Config.HWType',
      'VM.Config.Cloudinit',
      'VM.Config.Options',
    ],
    configure: ['VM.Config.CPU', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.Options'],
    firewall: ['VM.Config.Network'],
    cloudinit: ['VM.Config.Cloudinit', 'VM.Config.Network'],
    start: ['VM.PowerMgmt'],
    agent: ['VM.GuestAgent.Audit'],
    feature: ['VM.GuestAgent.Unrestricted'],
    snapshot: ['VM.Snapshot'],
    template: ['VM.Allocate'],
  },
};

/** What a guest's privileges depend on, as the engine reads it from the config and the step graph. */
export interface GuestPrivilegeInput {
  id: number;
  kind: GuestKind;
  /** Step kinds in its chain: `define`, `configure`, `feature`, ... */
  steps: readonly string[];
  cloneFrom?: number;
  bridges: readonly string[];
  /** A container with `unprivileged: false`. */
  privileged: boolean;
}

export function guestPrivileges(g: GuestPrivilegeInput): PrivilegeNeed[] {
  const who = `${g.kind === 'lxc' ? 'CT' : 'VM'} ${g.id}`;
  const vms = `/vms/${g.id}`;
  const out: PrivilegeNeed[] = [{ path: vms, privilege: 'VM.Audit', why: `${who} (reading it)` }];
  const table = GUEST_STEP_PRIVILEGES[g.kind];
  for (const step of new Set(g.steps))
    for (const privilege of table[step] ?? []) out.push({ path: vms, privilege, why: `${who} ${step}` });
  if (g.steps.includes('define')) {
    if (g.cloneFrom !== undefined)
      out.push({ path: `/vms/${g.cloneFrom}`, privilege: 'VM.Clone', why: `${who} define (clone)` });
    // LXC.pm create_vm: "For privileged containers, 'Sys.Modify' permissions on '/' are required."
    if (g.privileged) out.push({ path: '/', privilege: 'Sys.Modify', why: `${who} define (privileged)` });
    // pve-guest-common GuestHelpers.pm check_vnet_access: a bridge outside SDN is in zone `localnetwork`.
    for (const bridge of g.bridges)
      out.push({ path: `/sdn/zones/localnetwork/${bridge}`, privilege: 'SDN.Use', why: `${who} network` });
  }
  // Qemu.pm $check_vm_modify_config_perm: `startup` (every VM's configure sets it) changes host behaviour.
  if (g.kind === 'vm' && g.steps.includes('configure'))
    out.push({ path: '/', privilege: 'Sys.Modify', why: `${who} configure (startup)` });
  return out;
}

/** A storage need of a step (preflight's HostNeed, reduced to what decides the privileges). */
export interface StorageUse {
  storage: string;
  content: string;
  node: string;
  guest: string;
}

/**
 * Privileges on `/storage/<id>` (and for a download, on the node) a storage use needs: disks allocate space
 * (LXC.pm / Qemu.pm `create_vm`); an OS template or a cloud image is read through pve-storage `Storage.pm`
 * `check_volume_access` (Datastore.Audit) and downloaded with Datastore.AllocateTemplate (pve-manager
 * `API2/Nodes.pm` `apl_download`; pve-storage `API2/Storage/Status.pm` `download_url`, which also wants
 * Sys.AccessNetwork on the node, or Sys.Audit and Sys.Modify on `/`). Seeing a storage at all takes
 * Datastore.Audit (pve-manager `API2/Cluster.pm` `resources`).
 */
export function storagePrivileges(u: StorageUse): PrivilegeNeed[] {
  const path = `/storage/${u.storage}`;
  const why = `${u.guest} (${u.content} on ${u.storage})`;
  const need = (privilege: string): PrivilegeNeed => ({ path, privilege, why });
  if (u.content === 'rootdir' || u.content === 'images')
    return [need('Datastore.Audit'), need('Datastore.AllocateSpace')];
  const out = [need('Datastore.Audit'), need('Datastore.AllocateTemplate')];
  if (u.content === 'import')
    out.push({
      path: `/nodes/${u.node}`,
      privilege: 'Sys.AccessNetwork',
      why: `${u.guest} (download-url on ${u.node})`,
      or: { path: '/', privileges: ['Sys.Audit', 'Sys.Modify'] },
    });
  return out;
}

/** Privileges granted on a path, as `/access/permissions?path=P` answers. */
export type Granted = ReadonlyMap<string, ReadonlySet<string>>;

export interface Missing {
  path: string;
  privileges: string[];
  /** Who needs them, each once. */
  who: string[];
  or?: { path: string; privileges: string[] };
}

/** The needs the token lacks, one entry per path (and alternative), in path order. */
export function missingPrivileges(needs: readonly PrivilegeNeed[], granted: Granted): Missing[] {
  const has = (path: string, privilege: string): boolean => granted.get(path)?.has(privilege) === true;
  const byPath = new Map<string, Missing>();
  for (const n of needs) {
    if (has(n.path, n.privilege)) continue;
    if (n.or && n.or.privileges.every((p) => has(n.or!.path, p))) continue;
    const key = `${n.path}\0${n.or ? JSON.stringify(n.or) : ''}`;
    const m = byPath.get(key) ?? { path: n.path, privileges: [], who: [], ...(n.or && { or: n.or }) };
    if (!m.privileges.includes(n.privilege)) m.privileges.push(n.privilege);
    if (!m.who.includes(n.why)) m.who.push(n.why);
    byPath.set(key, m);
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** Every path a need names (to ask /access/permissions about), alternatives included. */
export function pathsOf(needs: readonly PrivilegeNeed[]): string[] {
  return [...new Set(needs.flatMap((n) => [n.path, ...(n.or ? [n.or.path] : [])]))].sort();
}

/** Missing privileges as lines for people: paths lacking the same privileges folded into one line. */
export function describeMissing(missing: readonly Missing[]): string[] {
  const groups = new Map<string, Missing[]>();
  for (const m of missing) {
    const key = `${m.privileges.join(',')}\0${m.or ? JSON.stringify(m.or) : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const few = (xs: string[], what: string): string =>
    xs.length <= 3 ? xs.join(', ') : `${xs.slice(0, 2).join(', ')} and ${xs.length - 2} more ${what}`;
  return [...groups.values()].map((ms) => {
    const first = ms[0]!;
    const paths = ms.map((m) => m.path);
    const who = [...new Set(ms.flatMap((m) => m.who))];
    const or = first.or ? ` (or ${first.or.privileges.join(' + ')} on ${first.or.path})` : '';
    return `${few(paths, 'paths')}: ${first.privileges.join(', ')}${or} — for ${few(who, 'uses')}`;
  });
}

/**
 * The commands that grant what is missing: one role holding every privilege the fleet needs, given to the token
 * on each path that lacks some, or on `/vms` when several guests do (pve-access-control `src/PVE/CLI/pveum.pm`:
 * `role add` is `create_role`, `acl modify` is `update_acl`, which propagates to the paths below by default). A
 * token with privilege separation also needs its user to hold them: its privileges are the intersection.
 */
export function grantCommands(
  tokenId: string,
  needs: readonly PrivilegeNeed[],
  missing: Missing[],
): string[] {
  const all = [...new Set(needs.map((n) => n.privilege))].sort();
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const guests = missing.filter((m) => /^\/vms\/\d+$/.test(m.path)).length;
  const paths = new Set(missing.map((m) => (guests > 1 && /^\/vms\/\d+$/.test(m.path) ? '/vms' : m.path)));
  return [
    `pveum role add Phoenix --privs ${q(all.join(','))}   (or: pveum role modify Phoenix --privs ...)`,
    ...[...paths].map((path) => `pveum acl modify ${path} --tokens ${q(tokenId)} --roles Phoenix`),
  ];
}
