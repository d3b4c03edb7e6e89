// Which guests this node has and which of them run, read from the files Proxmox itself reads for `pct list` and
// `qm list`, so a live read on the node starts no process:
// - `/etc/pve/.vmlist` (pmxcfs; pve-cluster src/pmxcfs/status.c cfs_create_vmlist_msg): every guest of the cluster
//   with its node and type. `pct list` / `qm list` show the rows of their own node and type (config_list in
//   pve-container src/PVE/LXC.pm and qemu-server src/PVE/QemuServer.pm).
// - `/proc/net/unix`: a container runs when its LXC command socket `@/var/lib/lxc/<id>/command` is listed
//   (pve-container src/PVE/LXC.pm list_active_containers, which vmstatus uses for `pct list`).
// - `/var/run/qemu-server/<id>.pid`: a VM runs when that pid is a live, non-zombie process whose command line is a
//   kvm/qemu binary started with `-pidfile` naming that file (qemu-server src/PVE/QemuServer/Helpers.pm
//   vm_running_locally; pve-common src/PVE/ProcFSTools.pm check_process_running). Anything else is a stale file.
// - `/etc/pve/local`: pmxcfs' link to `nodes/<this node>` (pve-cluster src/pmxcfs/pmxcfs.c create_symlinks).
// The paths are taken under a root: `/` on a node, the simulator's folder under --sim.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuestKind } from '../config/model.js';
import { err, ok, type Result } from '../result.js';
import type { LiveGuest } from './live.js';

/** A guest as the listings show it: existence, kind and run state (`running` or `stopped`). */
export type ListedGuest = Pick<LiveGuest, 'id' | 'kind' | 'status'>;

/** The guests the files show, and which files answered (for --verbose). */
export interface LocalListing {
  guests: ListedGuest[];
  source: string;
}

/**
 * Direct reads of the node's own files. A host that cannot offer them (another machine, the API transport) leaves
 * this out, and the live read asks the host for its listings instead.
 */
export interface NodeFiles {
  /**
   * This node's guests of the given kinds with their run state; an error (why the files cannot answer) when this
   * machine is not the target node, a file is missing or unreadable, or one of `ids` belongs to another node.
   */
  listLocalGuests(kinds: readonly GuestKind[], ids: readonly number[]): Promise<Result<LocalListing, string>>;
}

/** One row of `.vmlist`. */
export interface VmlistRow {
  node: string;
  type: string;
}

const PVE_TYPE: Record<GuestKind, string> = { lxc: 'lxc', vm: 'qemu' };

/** `.vmlist` as pmxcfs prints it (valid JSON; no `ids` key at all when the cluster has no guest). */
export function parseVmlist(text: string): Result<Map<number, VmlistRow>, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return err('it is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || typeof (doc as { version?: unknown }).version !== 'number')
    return err('it has no version');
  const ids = (doc as { ids?: unknown }).ids ?? {};
  if (typeof ids !== 'object' || ids === null) return err('its ids are not an object');
  const rows = new Map<number, VmlistRow>();
  for (const [id, row] of Object.entries(ids as Record<string, unknown>)) {
    const { node, type } = (row ?? {}) as { node?: unknown; type?: unknown };
    if (!/^\d+$/.test(id) || typeof node !== 'string' || typeof type !== 'string')
      return err(`its row '${id}' is not {node, type}`);
    rows.set(Number(id), { node, type });
  }
  return ok(rows);
}

/** list_active_containers: slot, five fields, a decimal inode, then the path; the path names a CT's socket. */
const UNIX_LINE = /^[a-f0-9]+:\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\S+)$/;
const LXC_SOCKET = /^@\/var\/lib\/lxc\/(\d+)\/command$/;

/** IDs of the running containers, from the text of `/proc/net/unix`. */
export function activeContainers(procNetUnix: string): Set<number> {
  const ids = new Set<number>();
  for (const line of procNetUnix.split('\n')) {
    const path = UNIX_LINE.exec(line)?.[1];
    const id = path === undefined ? undefined : LXC_SOCKET.exec(path)?.[1];
    if (id !== undefined) ids.add(Number(id));
  }
  return ids;
}

/** The pid file qemu-server starts a VM with, as the VM's command line names it (never under the root). */
export const vmPidfile = (id: number): string => `/var/run/qemu-server/${id}.pid`;

/** The pid in a pid file: its first line, digits only. */
export function parsePidfile(text: string): number | undefined {
  const first = /^(\d+)$/.exec(text.split('\n', 1)[0] ?? '')?.[1];
  return first === undefined ? undefined : Number(first);
}

/**
 * parse_cmdline + the pidfile test of instance_running_locally: argv[0] ends in `kvm` or is a `qemu-*` binary,
 * and the `-pidfile` option's value is exactly `pidfile`.
 */
export function isVmCommandLine(cmdline: string, pidfile: string): boolean {
  const argv = cmdline.split('\0');
  const cmd = argv[0] ?? '';
  if (!/kvm$/.test(cmd) && !/(?:^|\/)qemu-[^/]+$/.test(cmd)) return false;
  let pending: string | undefined;
  let value: string | undefined;
  for (const p of argv.slice(1)) {
    if (p === '') continue;
    const opt = /^--?(.*)$/.exec(p)?.[1];
    if (opt !== undefined) pending = opt;
    else if (pending !== undefined) {
      if (pending === 'pidfile') value = p;
      pending = undefined;
    }
  }
  return value === pidfile;
}

/** check_process_running: `/proc/<pid>/stat` names the pid, and its state is not Z (zombie). */
export function isLiveStat(stat: string, pid: number): boolean {
  const m = /^(\d+) \(.*\) (\S) /s.exec(stat);
  return m !== null && Number(m[1]) === pid && m[2] !== 'Z';
}

/** A read that may find the file gone (a process that exited): undefined then; other errors are thrown. */
async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw e;
  }
}

/** Why a file could not be read, in a few words. */
const failedRead = (path: string, e: unknown): string =>
  `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;

export function createNodeFiles(root: string, node: string): NodeFiles {
  const at = (...parts: string[]): string => join(root, ...parts);
  const pidDir = at('var', 'run', 'qemu-server');

  /** vm_running_locally for one VM whose pid file exists. */
  const vmRuns = async (id: number): Promise<boolean> => {
    const pid = parsePidfile((await readIfThere(join(pidDir, `${id}.pid`))) ?? '');
    if (pid === undefined) return false;
    const cmdline = await readIfThere(at('proc', String(pid), 'cmdline'));
    if (cmdline === undefined || !isVmCommandLine(cmdline, vmPidfile(id))) return false;
    const stat = await readIfThere(at('proc', String(pid), 'stat'));
    return stat !== undefined && isLiveStat(stat, pid);
  };

  return {
    async listLocalGuests(kinds, ids) {
      const localLink = at('etc', 'pve', 'local');
      let local: string;
      try {
        local = await readlink(localLink);
      } catch (e) {
        return err(`${failedRead(localLink, e)}: /etc/pve is not mounted here`);
      }
      if (local !== `nodes/${node}`)
        return err(`this machine is ${local.replace(/^nodes\//, 'node ')}, not node ${node}`);
      const vmlistPath = at('etc', 'pve', '.vmlist');
      let rows: Map<number, VmlistRow>;
      try {
        const parsed = parseVmlist(await readFile(vmlistPath, 'utf8'));
        if (!parsed.ok) return err(`${vmlistPath} cannot be used: ${parsed.error}`);
        rows = parsed.value;
      } catch (e) {
        return err(failedRead(vmlistPath, e));
      }
      const elsewhere = ids.find((id) => rows.has(id) && rows.get(id)?.node !== node);
      if (elsewhere !== undefined)
        return err(`guest ${elsewhere} is on node ${rows.get(elsewhere)?.node ?? '?'} (${vmlistPath})`);
      const localIds = (kind: GuestKind): number[] =>
        [...rows].filter(([, r]) => r.node === node && r.type === PVE_TYPE[kind]).map(([id]) => id);
      const guests: ListedGuest[] = [];
      const sources = [vmlistPath];
      if (kinds.includes('lxc')) {
        const unixPath = at('proc', 'net', 'unix');
        let active: Set<number>;
        try {
          active = activeContainers(await readFile(unixPath, 'utf8'));
        } catch (e) {
          return err(failedRead(unixPath, e));
        }
        sources.push(unixPath);
        for (const id of localIds('lxc'))
          guests.push({ id, kind: 'lxc', status: active.has(id) ? 'running' : 'stopped' });
      }
      if (kinds.includes('vm')) {
        // vzlist: only VMs with a pid file can run; one directory read spares a failed open per stopped VM.
        let withPidfile: Set<string>;
        try {
          withPidfile = new Set(await readdir(pidDir));
        } catch (e) {
          return err(failedRead(pidDir, e));
        }
        sources.push(`${pidDir}/<id>.pid`);
        const vms = localIds('vm');
        let running: boolean[];
        try {
          running = await Promise.all(
            vms.map((id) => (withPidfile.has(`${id}.pid`) ? vmRuns(id) : Promise.resolve(false))),
          );
        } catch (e) {
          return err(failedRead(`${pidDir} or ${at('proc')}`, e));
        }
        vms.forEach((id, i) => guests.push({ id, kind: 'vm', status: running[i] ? 'running' : 'stopped' }));
      }
      return ok({ guests, source: sources.join(', ') });
    },
  };
}
