// `pct migrate` / `qm migrate` on a simulated two-node cluster: the config moves to the target node's folder, the
// local volumes go with it, and the refusals a fleet meets come before anything moves (docs/proxmox-facts.md F16).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCt, ok, run, simDir } from './helpers.js';

const NODES = { nodes: ['pve1', 'pve2'] };

/** `pct create` with its rootfs on another storage than createCt's local-lvm. */
const ctOn = (id: number, storage: string): string[] =>
  createCt(id).map((w) => (w === 'local-lvm:8' ? `${storage}:8` : w));

describe('pct migrate', () => {
  it('[F16.1] a stopped CT moves its config to the target node and its local volume with it', async () => {
    const dir = await simDir({ config: NODES });
    ok(dir, createCt(101));
    const moved = run(dir, ['pct', 'migrate', '101', 'pve2']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(existsSync(join(dir, 'etc/pve/nodes/pve1/lxc/101.conf'))).toBe(false);
    expect(existsSync(join(dir, 'etc/pve/nodes/pve2/lxc/101.conf'))).toBe(true);
    // pve1 no longer has it; pve2 does, and its disk is on pve2's local-lvm.
    expect(run(dir, ['pct', 'config', '101']).stderr).toContain("'nodes/pve1/lxc/101.conf' does not exist");
    expect(run(dir, ['pvesh', 'get', '/nodes/pve2/lxc/101/config', '--output-format', 'json']).code).toBe(0);
    expect(run(dir, ['pvesh', 'get', '/nodes/pve2/storage/local-lvm/content']).stdout).toContain(
      'vm-101-disk-0',
    );
    expect(run(dir, ['pvesh', 'get', '/nodes/pve1/storage/local-lvm/content']).stdout).not.toContain(
      'vm-101-disk-0',
    );
  });

  it('[F16.1] a running CT needs --restart (--online is refused): it stops, moves and runs on the target', async () => {
    const dir = await simDir({ config: NODES });
    ok(dir, createCt(101), ['pct', 'start', '101']);
    expect(run(dir, ['pct', 'migrate', '101', 'pve2']).stderr).toContain(
      "can't migrate running container without --online or --restart",
    );
    expect(run(dir, ['pct', 'migrate', '101', 'pve2', '--online']).stderr).toContain(
      'lxc live migration is currently not implemented',
    );
    expect(run(dir, ['pct', 'migrate', '101', 'pve2', '--restart']).code).toBe(0);
    const status = run(dir, [
      'pvesh',
      'get',
      '/nodes/pve2/lxc/101/status/current',
      '--output-format',
      'json',
    ]);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'running' });
  });

  it('[F16.2] a snapshot of a volume on local lvmthin cannot travel; on zfspool it can', async () => {
    const dir = await simDir({ config: NODES });
    ok(dir, createCt(101), ['pct', 'snapshot', '101', 'base']);
    const refused = run(dir, ['pct', 'migrate', '101', 'pve2']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "can't migrate local volume 'local-lvm:vm-101-disk-0': non-migratable snapshot exists",
    );
    expect(existsSync(join(dir, 'etc/pve/nodes/pve1/lxc/101.conf'))).toBe(true);

    const zfs = await simDir({
      config: { ...NODES, storages: { tank: { type: 'zfspool', content: ['rootdir', 'images'] } } },
    });
    ok(zfs, ctOn(101, 'tank'), ['pct', 'snapshot', '101', 'base']);
    expect(run(zfs, ['pct', 'migrate', '101', 'pve2']).code).toBe(0);
    expect(existsSync(join(zfs, 'etc/pve/nodes/pve2/lxc/101.conf'))).toBe(true);
  });

  it('[F16.3] a storage the target node lacks refuses the migration', async () => {
    const dir = await simDir({
      config: { ...NODES, storages: { fast: { type: 'lvmthin', content: ['rootdir'], nodes: ['pve1'] } } },
    });
    ok(dir, ctOn(101, 'fast'));
    expect(run(dir, ['pct', 'migrate', '101', 'pve2']).stderr).toContain(
      "storage 'fast' is not available on node 'pve2'",
    );
  });
});

describe('pct clone --target', () => {
  it('[F16.4] a clone of local storage cannot be made on another node; of shared storage it lands there', async () => {
    const dir = await simDir({
      config: { ...NODES, storages: { ceph: { type: 'lvmthin', content: ['rootdir'], shared: true } } },
    });
    ok(dir, createCt(900), ['pct', 'template', '900'], ctOn(901, 'ceph'), ['pct', 'template', '901']);
    const local = run(dir, ['pct', 'clone', '900', '101', '--target', 'pve2']);
    expect(local.stderr).toContain("can't clone CT to node 'pve2' (CT uses local storage)");
    expect(
      run(dir, ['pct', 'clone', '900', '101', '--full', '1', '--storage', 'local-lvm', '--target', 'pve2'])
        .stderr,
    ).toContain("can't clone to non-shared storage 'local-lvm'");
    const shared = run(dir, ['pct', 'clone', '901', '102', '--target', 'pve2']);
    expect(shared.code, shared.stderr).toBe(0);
    expect(existsSync(join(dir, 'etc/pve/nodes/pve2/lxc/102.conf'))).toBe(true);
    expect(existsSync(join(dir, 'etc/pve/nodes/pve1/lxc/102.conf'))).toBe(false);
  });

  it('[F16.5] a per-node copy: a running CT cloned from its snapshot is full and snapshot-less, so it migrates; one with a snapshot is no template', async () => {
    const dir = await simDir({ config: NODES });
    ok(dir, createCt(900), ['pct', 'start', '900'], ['pct', 'snapshot', '900', 'base']);
    expect(run(dir, ['pct', 'clone', '900', '9002']).stderr).toContain(
      'Full clone of a running container is only possible from a snapshot',
    );
    ok(dir, ['pct', 'clone', '900', '9002', '--snapname', 'base']);
    expect(run(dir, ['pct', 'config', '9002']).stdout).not.toMatch(/^parent:|^\[base\]/m);
    ok(dir, ['pct', 'migrate', '9002', 'pve2']);
    expect(existsSync(join(dir, 'etc/pve/nodes/pve2/lxc/9002.conf'))).toBe(true);
    // A CT with a snapshot is no template (refused before its running state is looked at): a container
    // template's copy keeps the template's snapshot name instead.
    expect(run(dir, ['pct', 'template', '900']).stderr).toContain(
      'unable to create template, because CT contains snapshots',
    );
  });
});
