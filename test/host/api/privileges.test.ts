// What a token must hold for a fleet (src/host/api/privileges.ts), and the simulated `/access/permissions` that
// `phoenix doctor` compares it with (simulator/src/pvesh/permissions.ts).
import { describe, expect, it } from 'vitest';
import {
  describeMissing,
  grantCommands,
  guestPrivileges,
  missingPrivileges,
  pathsOf,
  storagePrivileges,
} from '../../../src/host/api/privileges.js';
import { accessPermissions } from '../../../simulator/src/pvesh/permissions.js';
import { DEFAULT_SIM_CONFIG } from '../../../simulator/src/simconfig.js';

const clone = guestPrivileges({
  id: 951,
  kind: 'lxc',
  steps: ['define', 'configure', 'apparmor', 'start', 'feature', 'snapshot'],
  cloneFrom: 900,
  bridges: ['vmbr0'],
  privileged: true,
});

describe('the privileges a fleet needs', () => {
  it('asks for each step API call, VM.Clone on the source, SDN.Use on the bridge, Sys.Modify for a privileged CT', () => {
    const on = (path: string) => clone.filter((n) => n.path === path).map((n) => n.privilege);
    expect(new Set(on('/vms/951'))).toEqual(
      new Set([
        'VM.Audit',
        'VM.Allocate',
        'VM.Config.Disk',
        'VM.Config.CPU',
        'VM.Config.Memory',
        'VM.Config.Network',
        'VM.Config.Options',
        'VM.PowerMgmt',
        'VM.Snapshot',
      ]),
    );
    expect(on('/vms/900')).toEqual(['VM.Clone']);
    expect(on('/sdn/zones/localnetwork/vmbr0')).toEqual(['SDN.Use']);
    expect(on('/')).toEqual(['Sys.Modify']);
    // apparmor (raw lxc lines) and features (pct exec) take the ssh lane as root: nothing for the token.
    expect(clone.some((n) => /apparmor|feature/.test(n.why))).toBe(false);
  });

  it('takes download-url on the node as Sys.AccessNetwork there, or Sys.Audit + Sys.Modify on /', () => {
    const needs = storagePrivileges({ storage: 'local', content: 'import', node: 'pve2', guest: 'VM 200' });
    expect(pathsOf(needs)).toEqual(['/', '/nodes/pve2', '/storage/local']);
    const granted = (extra: Record<string, string[]>) =>
      new Map(
        Object.entries({ '/storage/local': ['Datastore.Audit', 'Datastore.AllocateTemplate'], ...extra }).map(
          ([p, privs]) => [p, new Set(privs)],
        ),
      );
    expect(missingPrivileges(needs, granted({ '/': ['Sys.Audit', 'Sys.Modify'] }))).toEqual([]);
    expect(missingPrivileges(needs, granted({ '/nodes/pve2': ['Sys.AccessNetwork'] }))).toEqual([]);
    expect(missingPrivileges(needs, granted({ '/': ['Sys.Modify'] }))).toMatchObject([
      { path: '/nodes/pve2', privileges: ['Sys.AccessNetwork'], or: { path: '/' } },
    ]);
  });

  it('folds the guests lacking the same privileges into one line and grants the role on /vms', () => {
    const needs = [951, 952, 953, 954].flatMap((id) =>
      guestPrivileges({ id, kind: 'lxc', steps: ['define', 'snapshot'], bridges: [], privileged: false }),
    );
    const all = new Set(needs.map((n) => n.privilege).filter((p) => p !== 'VM.Snapshot'));
    const missing = missingPrivileges(needs, new Map(pathsOf(needs).map((p) => [p, all])));
    expect(describeMissing(missing)).toEqual([
      '/vms/951, /vms/952 and 2 more paths: VM.Snapshot — for CT 951 snapshot, CT 952 snapshot and 2 more uses',
    ]);
    expect(grantCommands('phoenix@pve!fleet', needs, missing).slice(1)).toEqual([
      "pveum acl modify /vms --tokens 'phoenix@pve!fleet' --roles Phoenix",
    ]);
  });
});

describe('the simulated GET /access/permissions', () => {
  it("answers root's token with every privilege, and a token's ACLs as they propagate down", () => {
    expect(Object.keys(accessPermissions(DEFAULT_SIM_CONFIG, '/vms/101')['/vms/101'] as object)).toContain(
      'VM.Snapshot',
    );
    const cfg = { ...DEFAULT_SIM_CONFIG, tokenPrivileges: { '/vms': ['VM.Audit'], '/': ['Sys.Audit'] } };
    expect(accessPermissions(cfg, '/vms/101')).toEqual({ '/vms/101': { 'Sys.Audit': 1, 'VM.Audit': 1 } });
    expect(accessPermissions(cfg, '/storage/local')).toEqual({ '/storage/local': { 'Sys.Audit': 1 } });
    expect(accessPermissions({ ...cfg, tokenPrivileges: {} }, '/vms')).toEqual({});
    expect(Object.keys(accessPermissions(cfg, undefined))).toEqual([
      '/',
      '/access',
      '/access/groups',
      '/nodes',
      '/pool',
      '/sdn',
      '/storage',
      '/vms',
    ]);
  });
});
