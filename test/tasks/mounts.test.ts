// The `mounts` step (issue 19 item 1): the user's `mount_points` as mpN bind mounts with stable numbers, host
// folders made and owned with shifted ids, drift from the host's folders and config, a pending restart for a
// changed mount of a running container, and nothing else re-run when a mount changes.
import { describe, expect, it } from 'vitest';
import type { LxcGuest } from '../../src/config/model.js';
import type { HostPathInfo, LiveGuest } from '../../src/host/live.js';
import { makeStepTables } from '../../src/tasks/index.js';
import { mountKeys, mountsStep } from '../../src/tasks/lxc-mounts.js';
import { fast, fleetOf, harness, liveState, lxc, stepCtx } from './fixtures.js';

const tables = makeStepTables(fast);

const LOGS = {
  host_path: '/mnt/data/101/logs',
  container_path: '/var/log/nginx',
  owner_uid: 33,
  owner_gid: 33,
};
const SSL = { host_path: '/mnt/data/103/ssl', container_path: '/etc/step-ca/ssl' };

const ct = (patch: Record<string, unknown> = {}): LxcGuest =>
  lxc(101, { clone_from_ctid: 900, mount_points: [LOGS, SSL], ...patch });

const running = (config: Record<string, string>, extra: Partial<LiveGuest> = {}): LiveGuest => ({
  id: 101,
  kind: 'lxc',
  status: 'running',
  template: false,
  snapshots: [],
  config: { hostname: 'ct101', ...config },
  ...extra,
});

const dirs = (entries: [string, HostPathInfo | null][]): Map<string, HostPathInfo | null> => new Map(entries);
const owned = (uid: number, gid = uid): HostPathInfo => ({ kind: 'dir', uid, gid });

function bound(g: LxcGuest, live?: LiveGuest, hostPaths?: Map<string, HostPathInfo | null>) {
  const state = { ...liveState(live ? [live] : []), ...(hostPaths && { hostPaths }) };
  return stepCtx(fleetOf([g]), g, 'mounts', state);
}

describe('mounts step', () => {
  it('sits between disk and start, only for a container with mount_points', () => {
    const names = (g: LxcGuest) => tables.lxc.flatMap((s) => s.instances(g, fleetOf([g])));
    expect(names(ct())).toEqual(['define', 'configure', 'disk', 'mounts', 'start']);
    expect(names(ct({ mount_points: [] }))).not.toContain('mounts');
  });

  it('keeps each mount on its mpN whatever the list order; a new one takes the lowest free number', () => {
    const config = {
      mp0: 'local-lvm:vm-101-disk-1,mp=/data,size=8G',
      mp1: '/mnt/data/103/ssl,mp=/etc/step-ca/ssl',
    };
    expect([...mountKeys(ct(), config)]).toEqual([
      ['/var/log/nginx', 'mp2'],
      ['/etc/step-ca/ssl', 'mp1'],
    ]);
    expect([...mountKeys(ct({ mount_points: [SSL, LOGS] }), config)]).toEqual([
      ['/etc/step-ca/ssl', 'mp1'],
      ['/var/log/nginx', 'mp2'],
    ]);
  });

  it('previews the folders (owner shifted by 100000 when unprivileged) and one pct set', () => {
    expect(mountsStep.preview(bound(ct(), running({}), dirs([])))).toEqual([
      ['mkdir', '-p', '/mnt/data/101/logs'],
      ['chown', '100033:100033', '/mnt/data/101/logs'],
      ['mkdir', '-p', '/mnt/data/103/ssl'],
      [
        'pct',
        'set',
        '101',
        '--mp0',
        '/mnt/data/101/logs,mp=/var/log/nginx',
        '--mp1',
        '/mnt/data/103/ssl,mp=/etc/step-ca/ssl',
      ],
    ]);
    // A privileged container's ids are the host's.
    expect(mountsStep.preview(bound(ct({ unprivileged: false }), running({}), dirs([])))[1]).toEqual([
      'chown',
      '33:33',
      '/mnt/data/101/logs',
    ]);
  });

  it('reads drift from the host: a missing folder, another owner, a missing mpN', () => {
    const both = {
      mp0: '/mnt/data/101/logs,mp=/var/log/nginx',
      mp1: '/mnt/data/103/ssl,mp=/etc/step-ca/ssl',
    };
    const good = dirs([
      ['/mnt/data/101/logs', owned(100033)],
      ['/mnt/data/103/ssl', owned(0)],
    ]);
    expect(mountsStep.check(bound(ct(), running(both), good))).toEqual({ ok: true });
    const wrongOwner = dirs([
      ['/mnt/data/101/logs', owned(33)],
      ['/mnt/data/103/ssl', null],
    ]);
    expect(mountsStep.check(bound(ct(), running(both), wrongOwner))).toMatchObject({
      ok: false,
      reason: 'drift',
      diffs: [
        { field: 'owner of /mnt/data/101/logs', actual: '33:33', desired: '100033:100033' },
        { field: 'host folder /mnt/data/103/ssl', actual: 'missing', desired: 'dir' },
      ],
    });
    expect(mountsStep.check(bound(ct(), running({ mp1: both.mp1 }), good))).toMatchObject({
      ok: false,
      diffs: [{ field: 'mp0 (mp=/var/log/nginx)', desired: '/mnt/data/101/logs,mp=/var/log/nginx' }],
    });
  });

  it('a moved mount of a running container is pending: the plan shows a restart, not work', () => {
    const old = { mp0: '/old/logs,mp=/var/log/nginx', mp1: '/mnt/data/103/ssl,mp=/etc/step-ca/ssl' };
    const live = running(old, {
      pending: { set: { mp0: '/mnt/data/101/logs,mp=/var/log/nginx' }, delete: [] },
    });
    expect(mountsStep.check(bound(ct(), live))).toEqual({
      ok: true,
      pending: [
        {
          field: 'mp0 (mp=/var/log/nginx)',
          actual: '/old/logs,mp=/var/log/nginx',
          desired: '/mnt/data/101/logs,mp=/var/log/nginx',
        },
      ],
    });
  });

  it('makes and owns the folders, then mounts; a second run does nothing', async () => {
    const g = ct();
    const h = harness(fleetOf([g]), g);
    h.host.addGuest({ id: 101, kind: 'lxc', config: { hostname: 'ct101' } });
    expect((await h.run(mountsStep)).ok).toBe(true);
    expect(h.host.dirCalls).toEqual([
      'mkdir -p /mnt/data/101/logs',
      'chown 100033:100033 /mnt/data/101/logs',
      'mkdir -p /mnt/data/103/ssl',
    ]);
    expect(h.host.mutating()).toEqual([
      'pct set 101 --mp0 /mnt/data/101/logs,mp=/var/log/nginx --mp1 /mnt/data/103/ssl,mp=/etc/step-ca/ssl',
    ]);
    h.host.calls.length = 0;
    h.host.dirCalls.length = 0;
    expect((await h.run(mountsStep)).ok).toBe(true);
    expect([...h.host.mutating(), ...h.host.dirCalls]).toEqual([]);
  });

  it('a changed mount re-fingerprints only the mounts step', () => {
    const inputs = (g: LxcGuest) =>
      Object.fromEntries(
        tables.lxc.flatMap((s) =>
          s.instances(g, fleetOf([g])).map((n) => [n, JSON.stringify(s.inputs(stepCtx(fleetOf([g]), g, n)))]),
        ),
      );
    const a = inputs(ct());
    const b = inputs(ct({ mount_points: [{ ...LOGS, host_path: '/mnt/other/logs' }, SSL] }));
    expect(Object.keys(a).filter((k) => a[k] !== b[k])).toEqual(['mounts']);
  });
});
