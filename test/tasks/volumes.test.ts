// The `volumes` step of a VM (issue 19 item 5): NFS shares as the user's later vm-manager mounted them (an fstab line
// each, `mount`), drift read from /proc/mounts, the fstab script run for real, a changed share re-fingerprinting
// only this step (a step aside), and the shapes validate refuses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Fleet, VmGuest } from '../../src/config/model.js';
import { hypervisor } from '../../src/config/schema.js';
import { validateFleet } from '../../src/config/validate.js';
import type { LiveGuest } from '../../src/host/live.js';
import { makeStepTables } from '../../src/tasks/index.js';
import {
  FSTAB_SCRIPT,
  FSTAB_SCRIPT_NAME,
  fstabLine,
  fstabWith,
  NFS_CLIENT,
  parseMounts,
  vmVolumesStep,
  volumeCommands,
} from '../../src/tasks/vm-volumes.js';
import { fast, fingerprintsOf, fleetOf, liveState, stepCtx, vm } from './fixtures.js';

const tables = makeStepTables(fast);
const SHARES = [
  {
    type: 'nfs',
    name: 'data',
    server: '10.0.0.13',
    path: '/srv/nfs/1001',
    mount_point: '/persistent-storage',
  },
  { type: 'nfs', name: 'certs', server: 'nas.internal', path: '/certs', mount_point: '/etc/step-ca/certs' },
];
const guest = (volumes: unknown[] = SHARES, extra: Record<string, unknown> = {}): VmGuest =>
  vm(1001, { clone_from_vmid: 9000, features: ['docker'], volumes, ...extra });
const withExports = (f: Fleet): Fleet => ({
  ...f,
  hypervisor: hypervisor.parse({ nfs: { exports: [{ path: '/srv/nfs', clients: ['10.0.0.111'] }] } }),
});
const running: LiveGuest = {
  id: 1001,
  kind: 'vm',
  status: 'running',
  template: false,
  snapshots: [],
  config: {},
};
const STOCK = '/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n';
const nfs4 = (source: string, target: string) => `${source} ${target} nfs4 rw,relatime,vers=4.2 0 0\n`;
const bound = (g: VmGuest, mounts?: string, fleet = withExports(fleetOf([g]))) =>
  stepCtx(fleet, g, 'volumes', {
    ...liveState([running]),
    hostPaths: new Map([['/srv/nfs/1001', { kind: 'dir', uid: 0, gid: 0 }]]),
    ...(mounts !== undefined && { guestMounts: new Map([[1001, mounts]]) }),
  });

const scratch = mkdtempSync(path.join(tmpdir(), 'phoenix-fstab-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The fstab write, run by this machine's /bin/sh on a file as inside the VM; returns the file after. */
function runFstabScript(before: string, text: string): string {
  const file = path.join(scratch, 'fstab');
  writeFileSync(file, before);
  execFileSync('/bin/sh', ['-c', FSTAB_SCRIPT, FSTAB_SCRIPT_NAME, file, text]);
  return readFileSync(file, 'utf8');
}

describe('volumes step', () => {
  it('sits after the agent and before the features, for VMs with volumes that are not templates', () => {
    const names = (g: VmGuest) => tables.vm.flatMap((s) => s.instances(g, fleetOf([g])));
    expect(names(guest())).toEqual([
      'define',
      'configure',
      'cloudinit',
      'start',
      'agent',
      'volumes',
      'feature:docker',
      'snapshot',
    ]);
    expect(names(guest([]))).not.toContain('volumes');
  });

  it('writes the fstab lines of their vm-manager, in a block a later run replaces', () => {
    const image = 'LABEL=cloudimg-rootfs / ext4 defaults 0 1';
    const lines = guest().config.volumes.map(fstabLine);
    expect(lines).toEqual([
      '10.0.0.13:/srv/nfs/1001 /persistent-storage nfs defaults,auto,nofail 0 0',
      'nas.internal:/certs /etc/step-ca/certs nfs defaults,auto,nofail 0 0',
    ]);
    const once = fstabWith(`${image}\n`, guest());
    expect(once).toBe(`${image}\n# BEGIN phoenix volumes\n${lines.join('\n')}\n# END phoenix volumes\n`);
    // Again with one share: the block is replaced, not added to; a file without a last newline keeps its line.
    expect(fstabWith(`${once}# added by hand`, guest([SHARES[1]]))).toBe(
      `${image}\n# added by hand\n# BEGIN phoenix volumes\n${lines[1]}\n# END phoenix volumes\n`,
    );
    expect(fstabWith(once, guest([]))).toBe(`${image}\n`);
    // A line their manager appended for one of the folders is taken into the block (else it would mount twice).
    const adopted = `${image}\n10.0.0.13:/srv/nfs/old /persistent-storage nfs defaults,auto,nofail 0 0\n`;
    expect(fstabWith(adopted, guest([SHARES[0]]))).toBe(
      `${image}\n# BEGIN phoenix volumes\n${lines[0]}\n# END phoenix volumes\n`,
    );
    // The write itself, run by /bin/sh: the file becomes the text, world-readable, nothing left beside it.
    expect(runFstabScript(`${image}\n`, once)).toBe(once);
    expect(execFileSync('stat', ['-c', '%a', path.join(scratch, 'fstab')], { encoding: 'utf8' }).trim()).toBe(
      '644',
    );
    expect(readdirSync(scratch)).toEqual(['fstab']);
  });

  it('reads drift from /proc/mounts: a share not mounted, or another one on its folder', () => {
    const both =
      STOCK +
      nfs4('10.0.0.13:/srv/nfs/1001', '/persistent-storage') +
      nfs4('nas.internal:/certs', '/etc/step-ca/certs');
    expect(vmVolumesStep.check(bound(guest(), both))).toEqual({ ok: true });
    const moved = STOCK + nfs4('10.0.0.13:/srv/nfs/other', '/persistent-storage');
    expect(vmVolumesStep.check(bound(guest(), moved))).toMatchObject({
      ok: false,
      reason: 'drift',
      diffs: [
        {
          field: 'volumes[0] at /persistent-storage',
          actual: '10.0.0.13:/srv/nfs/other (nfs4)',
          desired: '10.0.0.13:/srv/nfs/1001',
        },
        { field: 'volumes[1] at /etc/step-ca/certs', actual: 'not mounted', desired: 'nas.internal:/certs' },
      ],
    });
    // The agent did not answer (or the VM is stopped): the cache decides.
    expect(vmVolumesStep.check(bound(guest()))).toEqual({ ok: 'unknown' });
  });

  it('makes the folder on the host only when the host exports it; a missing one is drift', () => {
    const g = guest();
    const ctx = bound(g, STOCK);
    const missing = { ...ctx, live: { ...ctx.live, hostPaths: new Map([['/srv/nfs/1001', null]]) } };
    const check = vmVolumesStep.check(missing);
    expect(check.ok === false && check.reason === 'drift' && check.diffs).toContainEqual({
      field: 'host folder /srv/nfs/1001',
      actual: 'missing',
      desired: 'folder',
    });
    expect(vmVolumesStep.preview(missing)[0]).toEqual(['mkdir', '-p', '/srv/nfs/1001']);
    expect(vmVolumesStep.inputs(ctx)).toMatchObject({ host_folders: ['/srv/nfs/1001'] });
    expect(vmVolumesStep.inputs(bound(g, STOCK, fleetOf([g])))).toMatchObject({ host_folders: [] });
  });

  it('does inside the VM only what is missing: nothing when all is mounted and fstab has the block', () => {
    const g = guest();
    const block = `# BEGIN phoenix volumes\n${g.config.volumes.map(fstabLine).join('\n')}\n# END phoenix volumes\n`;
    const mounted = parseMounts(STOCK + nfs4('10.0.0.13:/srv/nfs/1001', '/persistent-storage'));
    const commands = volumeCommands(g, `LABEL=root / ext4 defaults 0 1\n${block}`, mounted);
    expect(commands).toEqual([
      ['/bin/sh', '-c', NFS_CLIENT],
      ['mkdir', '-p', '/etc/step-ca/certs'],
      ['mount', '/etc/step-ca/certs'],
    ]);
    const all = parseMounts(
      STOCK +
        nfs4('10.0.0.13:/srv/nfs/1001', '/persistent-storage') +
        nfs4('nas.internal:/certs', '/etc/step-ca/certs'),
    );
    expect(volumeCommands(g, block, all)).toEqual([]);
    // Another share of the server on its folder: unmounted first.
    const other = parseMounts(STOCK + nfs4('10.0.0.13:/srv/nfs/other', '/persistent-storage'));
    expect(volumeCommands(guest([SHARES[0]]), undefined, other).slice(2)).toEqual([
      ['umount', '/persistent-storage'],
      ['mkdir', '-p', '/persistent-storage'],
      ['mount', '/persistent-storage'],
    ]);
    // A share dropped from the config is unmounted, and the block rewritten without it.
    const one = guest([SHARES[0]]);
    expect(volumeCommands(one, block, all)).toEqual([
      ['/bin/sh', '-c', FSTAB_SCRIPT, FSTAB_SCRIPT_NAME, '/etc/fstab', fstabWith(block, one)],
      ['umount', '/etc/step-ca/certs'],
    ]);
  });

  it('a changed share re-fingerprints only the volumes step, not the features or snapshot after it', () => {
    const fingerprints = (g: VmGuest): Record<string, string> => {
      const all = fingerprintsOf(
        withExports(fleetOf([vm(9000, { template_image: 'x.img', is_template: true }), g])),
      );
      return Object.fromEntries(Object.entries(all).filter(([a]) => a.startsWith('1001:')));
    };
    const a = fingerprints(guest());
    const b = fingerprints(guest([{ ...SHARES[0], path: '/srv/nfs/1001b' }, SHARES[1]]));
    expect(Object.keys(a).filter((k) => a[k] !== b[k])).toEqual(['1001:volumes']);
    const c = fingerprints(guest(SHARES, { features: ['docker', 'base'] }));
    expect(c['1001:volumes']).toBe(a['1001:volumes']);
    expect(c['1001:snapshot']).not.toBe(a['1001:snapshot']);
  });

  it.each([
    [{ ...SHARES[0], type: 'cifs' }, ['volumes', 0, 'type'], /must be nfs/],
    [{ ...SHARES[0], server: 'nas server' }, ['volumes', 0, 'server'], /NFS server address/],
    [{ ...SHARES[0], path: 'relative/dir' }, ['volumes', 0, 'path'], /absolute path/],
    [{ ...SHARES[0], mount_point: '/' }, ['volumes', 0, 'mount_point'], /other than \//],
  ])('the schema refuses %j at %j', (volume, where, message) => {
    expect(() => guest([volume])).toThrow(message);
    try {
      guest([volume]);
    } catch (e) {
      expect((e as { issues: { path: unknown[] }[] }).issues[0]?.path).toEqual(where);
    }
  });

  it('validate refuses a mount point twice and volumes on a template, at their path', () => {
    const twice = guest([SHARES[0], { ...SHARES[1], mount_point: '/persistent-storage' }]);
    const tpl = vm(9000, { template_image: 'x.img', is_template: true, volumes: [SHARES[0]] });
    const problems = validateFleet(fleetOf([tpl, twice])).filter((p) => p.severity === 'error');
    expect(problems.map((p) => [p.path.join('.'), p.message])).toEqual([
      ['vms.0.volumes', expect.stringMatching(/VM 9000 is a template/)],
      ['vms.0.volumes.1.mount_point', '/persistent-storage is already the mount point of volumes.0'],
    ]);
  });
});
