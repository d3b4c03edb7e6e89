// The simulated node's process table: what pct/qm start, stop, reboot and destroy leave in proc/net/unix, the
// qemu-server pid files and /proc/<pid>; and a process that dies behind the tools' back reads as stopped.
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSimState } from '../../simulator/src/testing.js';
import { createCt, ok, run, simDir } from './helpers.js';

const sockets = (dir: string): string[] =>
  readFileSync(join(dir, 'proc/net/unix'), 'utf8')
    .split('\n')
    .flatMap((l) => /@\/var\/lib\/lxc\/(\d+)\/command$/.exec(l)?.[1] ?? []);
const pidOf = (dir: string, id: number): string | undefined => {
  const f = join(dir, 'var/run/qemu-server', `${id}.pid`);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};
const cmdline = (dir: string, pid: string): string[] =>
  readFileSync(join(dir, 'proc', pid.trim(), 'cmdline'), 'utf8').split('\0');
const qmStatus = (dir: string, id: number): string => run(dir, ['qm', 'status', String(id)]).stdout.trim();

describe('the node files the simulator keeps', () => {
  it('[F12.1] names the node and lists guests in .vmlist as pmxcfs does (no ids key without guests)', async () => {
    const dir = await simDir();
    expect(readlinkSync(join(dir, 'etc/pve/local'))).toBe('nodes/pve');
    expect(readFileSync(join(dir, 'etc/pve/.vmlist'), 'utf8')).toBe('{\n"version": 1\n\n}\n');
    ok(dir, createCt(101));
    expect(JSON.parse(readFileSync(join(dir, 'etc/pve/.vmlist'), 'utf8'))).toMatchObject({
      ids: { '101': { node: 'pve', type: 'lxc' } },
    });
  });

  it('[F12.2] lists a running container’s command socket, and drops it when it stops', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), createCt(102), ['pct', 'start', '101'], ['pct', 'start', '102']);
    expect(sockets(dir).sort()).toEqual(['101', '102']);
    ok(dir, ['pct', 'shutdown', '102']);
    expect(sockets(dir)).toEqual(['101']);
    ok(dir, ['pct', 'stop', '101']);
    expect(sockets(dir)).toEqual([]);
  });

  it('[F12.3] gives a running VM a pid file and a kvm process; reboot a new one, stop and destroy none', async () => {
    const dir = await simDir();
    ok(dir, ['qm', 'create', '200', '--name', 'web', '--memory', '512'], ['qm', 'start', '200']);
    const pid = pidOf(dir, 200);
    expect(pid).toMatch(/^\d+\n$/);
    expect(cmdline(dir, pid!)).toEqual(
      expect.arrayContaining(['/usr/bin/kvm', '-id', '200', '-pidfile', '/var/run/qemu-server/200.pid']),
    );
    expect(readFileSync(join(dir, 'proc', pid!.trim(), 'stat'), 'utf8')).toMatch(
      new RegExp(`^${pid!.trim()} \\(kvm\\) S `),
    );
    ok(dir, ['qm', 'reboot', '200']);
    const rebooted = pidOf(dir, 200);
    expect(rebooted).not.toBe(pid);
    expect(existsSync(join(dir, 'proc', pid!.trim()))).toBe(false);
    ok(dir, ['qm', 'stop', '200']);
    expect(pidOf(dir, 200)).toBeUndefined();
    expect(existsSync(join(dir, 'proc', rebooted!.trim()))).toBe(false);
    ok(dir, ['qm', 'start', '200'], ['qm', 'stop', '200'], ['qm', 'destroy', '200']);
    expect(pidOf(dir, 200)).toBeUndefined();
  });

  it('[F12.3] reads a VM as stopped when its process is gone, its pid reused or a zombie, keeping the pid file', async () => {
    const dir = await simDir();
    const vms = [200, 201, 202];
    for (const id of vms)
      ok(dir, ['qm', 'create', String(id), '--memory', '512'], ['qm', 'start', String(id)]);
    const pids = vms.map((id) => pidOf(dir, id)!.trim());
    rmSync(join(dir, 'proc', pids[0]!), { recursive: true });
    writeFileSync(join(dir, 'proc', pids[1]!, 'cmdline'), '/usr/sbin/cron\0-f\0');
    writeFileSync(join(dir, 'proc', pids[2]!, 'stat'), `${pids[2]} (kvm) Z 1\n`);
    for (const id of vms) expect(qmStatus(dir, id), `${id}`).toBe('status: stopped');
    expect(run(dir, ['qm', 'list']).stdout.match(/ stopped /g)).toHaveLength(3);
    ok(dir, ['qm', 'set', '200', '--memory', '1024']); // a write stores the stops
    expect(vms.map((id) => readSimState(dir).guests[id]?.status)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(vms.map((id) => pidOf(dir, id))).toEqual(pids.map((p) => `${p}\n`));
    ok(dir, ['qm', 'start', '201']);
    expect(qmStatus(dir, 201)).toBe('status: running');
    expect(pidOf(dir, 201)).not.toBe(`${pids[1]}\n`);
  });

  it('[F12.2] reads a container as stopped when its socket is gone', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'start', '101']);
    const unix = join(dir, 'proc/net/unix');
    writeFileSync(unix, readFileSync(unix, 'utf8').replace(/^.*@\/var\/lib\/lxc\/101\/command\n/m, ''));
    expect(run(dir, ['pct', 'status', '101']).stdout).toBe('status: stopped\n');
    expect(run(dir, ['pct', 'list']).stdout).toMatch(/^101 +stopped/m);
  });
});
