// `GET /access/permissions`: the privileges the caller holds per ACL path, each with its propagate flag
// (pve-access-control `src/PVE/API2/AccessControl.pm` `permissions`; `src/PVE/RPCEnvironment.pm` `permissions` and
// `get_effective_permissions`). root@pam holds every privilege (the `Administrator` role); the simulated token is
// root's unless sim.json's `tokenPrivileges` gives it its own ACLs.
import type { SimConfig } from '../simconfig.js';

/** Every privilege Proxmox VE 9 knows (pve-access-control `src/PVE/AccessControl.pm` `$privgroups`). */
export const ALL_PRIVILEGES = [
  ...['VM.Config.Disk', 'VM.Config.CPU', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.HWType'],
  ...['VM.Config.Options', 'VM.Allocate', 'VM.Clone', 'VM.GuestAgent.Unrestricted', 'VM.Migrate'],
  ...['VM.Replicate', 'VM.Snapshot', 'VM.Snapshot.Rollback', 'VM.Config.CDROM', 'VM.Config.Cloudinit'],
  ...['VM.Console', 'VM.Backup', 'VM.GuestAgent.FileRead', 'VM.GuestAgent.FileSystemMgmt'],
  ...['VM.GuestAgent.FileWrite', 'VM.PowerMgmt', 'VM.Audit', 'VM.GuestAgent.Audit'],
  ...['Sys.PowerMgmt', 'Sys.Modify', 'Sys.Incoming', 'Sys.AccessNetwork', 'Sys.Console', 'Sys.Syslog'],
  ...['Sys.Audit', 'Datastore.Allocate', 'Datastore.AllocateTemplate', 'Datastore.AllocateSpace'],
  ...['Datastore.Audit', 'SDN.Allocate', 'SDN.Audit', 'SDN.Use', 'Realm.Allocate', 'User.Modify'],
  ...['Group.Allocate', 'Realm.AllocateUser', 'Pool.Allocate', 'Pool.Audit', 'Mapping.Modify'],
  ...['Mapping.Use', 'Mapping.Audit', 'Permissions.Modify'],
];

/** The paths every answer without `path` covers (RPCEnvironment.pm get_effective_permissions). */
const DEFAULT_PATHS = ['/', '/access', '/access/groups', '/nodes', '/pool', '/sdn', '/storage', '/vms'];

const ancestors = (path: string): string[] => {
  const parts = path.split('/').filter(Boolean);
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
};

/** The token's privileges on one path: what its ACLs give there and above (all propagating). */
function privilegesAt(cfg: SimConfig, path: string): Record<string, number> {
  const acl = cfg.tokenPrivileges;
  const privs = acl === undefined ? ALL_PRIVILEGES : ancestors(path).flatMap((p) => acl[p] ?? []);
  return Object.fromEntries([...new Set(privs)].sort().map((p) => [p, 1]));
}

export function accessPermissions(cfg: SimConfig, path: string | undefined): Record<string, unknown> {
  if (path !== undefined && path !== '') {
    const privs = privilegesAt(cfg, path);
    return Object.keys(privs).length > 0 ? { [path]: privs } : {};
  }
  const paths = new Set([...DEFAULT_PATHS, ...Object.keys(cfg.tokenPrivileges ?? {})]);
  const out: Record<string, unknown> = {};
  for (const p of [...paths].sort()) {
    const privs = privilegesAt(cfg, p);
    if (Object.keys(privs).length > 0) out[p] = privs;
  }
  return out;
}
