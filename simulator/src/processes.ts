// The node's process table, kept under the simulator's folder where a node keeps it, so that anything reading
// the files Proxmox reads (Phoenix's live read) sees what `pct list` / `qm list` show:
// - `proc/net/unix`: one listening socket `@/var/lib/lxc/<id>/command` per running container, among a few
//   unrelated sockets (pve-container src/PVE/LXC.pm list_active_containers reads it);
// - per running VM, `var/run/qemu-server/<id>.pid` naming a pid, and `proc/<pid>/cmdline` and `proc/<pid>/stat`
//   of a kvm process started with `-pidfile /var/run/qemu-server/<id>.pid` (qemu-server
//   src/PVE/QemuServer/Helpers.pm vm_running_locally, pve-common src/PVE/ProcFSTools.pm check_process_running;
//   the command line as src/PVE/QemuServer.pm config_to_command starts it, abridged).
// They are written from the state after every change (state.ts) and read back before every call: a guest whose
// process is gone (its socket line removed, its pid file stale: no such process, a pid reused by another command
// line, a zombie) is stopped, as the real tools would report it. A stale pid file stays where it is, as on a node.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readText } from './file-reads.js';
import { setStatus } from './context.js';
import type { GuestState } from './state.js';

/** The guests whose processes the files show (one node's). */
export interface ProcessView {
  guests: Record<string, GuestState>;
}

const UNIX_HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path';
/** Sockets any node has (systemd, pmxcfs, a connected one without a path): list_active_containers skips them. */
const OTHER_SOCKETS = [
  '0000000000000000: 00000002 00000000 00010000 0001 01 18211 /run/systemd/private',
  '0000000000000000: 00000002 00000000 00010000 0001 01 21736 @/var/run/pve-cluster-0',
  '0000000000000000: 00000003 00000000 00000000 0001 03 24117',
];

export const procNetUnixPath = (dir: string): string => join(dir, 'proc', 'net', 'unix');
const pidDir = (dir: string): string => join(dir, 'var', 'run', 'qemu-server');
/** The pid file as the VM's command line names it (a path on the node, not under the simulator's folder). */
const pidfileName = (vmid: number): string => `/var/run/qemu-server/${vmid}.pid`;

/** `/proc/net/unix` of the node: the lines of the running containers' command sockets, by vmid. */
export function renderProcNetUnix(state: ProcessView): string {
  const lines = [UNIX_HEADER, ...OTHER_SOCKETS];
  for (const g of Object.values(state.guests)) {
    if (g.type !== 'lxc' || g.status !== 'running') continue;
    // Linux prints `%pK: %08X %08X %08X %04X %02X %5lu` and the path: refcount 2, listening (0x10000), stream.
    lines.push(
      `0000000000000000: 00000002 00000000 00010000 0001 01 ${40000 + g.vmid} @/var/lib/lxc/${g.vmid}/command`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The VM's kvm command line, NUL-separated as /proc shows it. */
export function vmCmdline(g: GuestState): string {
  const id = g.vmid;
  const argv = [
    '/usr/bin/kvm',
    '-id',
    String(id),
    '-name',
    `${g.config.name ?? `vm${id}`},debug-threads=on`,
    '-no-shutdown',
    '-chardev',
    `socket,id=qmp,path=/var/run/qemu-server/${id}.qmp,server=on,wait=off`,
    '-mon',
    'chardev=qmp,mode=control',
    '-pidfile',
    pidfileName(id),
    '-daemonize',
  ];
  return `${argv.join('\0')}\0`;
}

/** `/proc/<pid>/stat` of a sleeping kvm process (all 52 fields, so read_proc_pid_stat's pattern matches). */
function vmStat(pid: number, startedAt: number): string {
  const starttime = Math.floor(startedAt / 10) % 1e9; // clock ticks (100 Hz) since an arbitrary boot
  const fields = [
    `${pid} (kvm) S 1 ${pid} ${pid} 0 -1 138412352 52100 0 12 0 830 240 0 0 20 0 9 0 ${starttime}`,
    '4731609088 261244 18446744073709551615 1 1 0 0 0 0 0 4096 16963 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0',
  ];
  return `${fields.join(' ')}\n`;
}

/** Replaces a file whole, so a reader never sees half of it (`mode`: the new file's, umask aside). */
export function replaceFile(path: string, text: string, mode?: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true }); // a leftover of a killed writer would keep its own mode
  writeFileSync(tmp, text, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}

const readOrUndefined = (path: string): string | undefined => {
  try {
    return readText(path);
  } catch {
    return undefined;
  }
};

const runningPid = (g: GuestState | undefined): number | undefined =>
  g?.status === 'running' ? g.pid : undefined;

/**
 * Brings the process files in line with the state after a change: `before` is the state the change started from
 * (undefined: write everything, as for a folder that has no process files yet).
 */
export function writeProcesses(dir: string, before: ProcessView | undefined, state: ProcessView): void {
  const unix = procNetUnixPath(dir);
  const fresh = before === undefined || !existsSync(unix);
  mkdirSync(join(dir, 'proc', 'net'), { recursive: true });
  mkdirSync(pidDir(dir), { recursive: true });
  const text = renderProcNetUnix(state);
  if (fresh || text !== renderProcNetUnix(before)) replaceFile(unix, text);
  const ids = new Set([...Object.keys(before?.guests ?? {}), ...Object.keys(state.guests)]);
  for (const id of ids) {
    const was = before?.guests[id];
    const now = state.guests[id];
    if ((now ?? was)?.type !== 'qemu') continue;
    const oldPid = fresh ? undefined : runningPid(was);
    const newPid = runningPid(now);
    if (oldPid === newPid) continue;
    const pidfile = join(pidDir(dir), `${id}.pid`);
    if (oldPid !== undefined && was) {
      // The process ends: its pid file and /proc entry go, unless they belong to someone else by now.
      if (readOrUndefined(pidfile) === `${oldPid}\n`) rmSync(pidfile, { force: true });
      const proc = join(dir, 'proc', String(oldPid));
      if (readOrUndefined(join(proc, 'cmdline')) === vmCmdline(was))
        rmSync(proc, { recursive: true, force: true });
    }
    if (newPid !== undefined && now) {
      const proc = join(dir, 'proc', String(newPid));
      mkdirSync(proc, { recursive: true });
      replaceFile(join(proc, 'cmdline'), vmCmdline(now));
      replaceFile(join(proc, 'stat'), vmStat(newPid, now.startedAt ?? Date.now()));
      replaceFile(pidfile, `${newPid}\n`);
    }
  }
}

/** parse_cmdline: a kvm or qemu-* binary, and the value of its `-pidfile` option. */
function cmdlinePidfile(cmdline: string): string | undefined {
  const argv = cmdline.split('\0');
  if (!/kvm$/.test(argv[0] ?? '') && !/(?:^|\/)qemu-[^/]+$/.test(argv[0] ?? '')) return undefined;
  let pending: string | undefined;
  let pidfile: string | undefined;
  for (const p of argv.slice(1)) {
    if (p === '') continue;
    const opt = /^--?(.*)$/.exec(p)?.[1];
    if (opt !== undefined) pending = opt;
    else if (pending !== undefined) {
      if (pending === 'pidfile') pidfile = p;
      pending = undefined;
    }
  }
  return pidfile;
}

/** vm_running_locally: the pid file names a live, non-zombie kvm process started with that pid file. */
function vmProcessAlive(dir: string, vmid: number): boolean {
  const first = (readOrUndefined(join(pidDir(dir), `${vmid}.pid`)) ?? '').split('\n', 1)[0] ?? '';
  const pid = /^(\d+)$/.exec(first)?.[1];
  if (pid === undefined) return false;
  if (cmdlinePidfile(readOrUndefined(join(dir, 'proc', pid, 'cmdline')) ?? '') !== pidfileName(vmid))
    return false;
  const state = /^\d+ \(.*\) (\S) /s.exec(readOrUndefined(join(dir, 'proc', pid, 'stat')) ?? '')?.[1];
  return state !== undefined && state !== 'Z';
}

/** list_active_containers: the IDs whose command socket a well-formed line of `/proc/net/unix` names. */
function activeContainers(unix: string): Set<number> {
  const ids = new Set<number>();
  for (const line of unix.split('\n')) {
    const path = /^[a-f0-9]+:\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\S+)$/.exec(line)?.[1];
    const id = path === undefined ? undefined : /^@\/var\/lib\/lxc\/(\d+)\/command$/.exec(path)?.[1];
    if (id !== undefined) ids.add(Number(id));
  }
  return ids;
}

/**
 * Stops every running guest whose process the files no longer show (something killed it, or a test made its pid
 * file stale). Returns how many. A folder without process files (made before they existed) is left alone.
 */
export function reapProcesses(dir: string, state: ProcessView): number {
  const unix = readOrUndefined(procNetUnixPath(dir));
  if (unix === undefined) return 0;
  const sockets = activeContainers(unix);
  let reaped = 0;
  const now = Date.now();
  for (const g of Object.values(state.guests)) {
    if (g.status !== 'running') continue;
    const alive = g.type === 'lxc' ? sockets.has(g.vmid) : vmProcessAlive(dir, g.vmid);
    if (alive) continue;
    setStatus(g, 'stopped', now);
    reaped++;
  }
  return reaped;
}
