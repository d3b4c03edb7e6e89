// A fake HostExec for step tests: records every argv, answers from a small model of a Proxmox node, and lets a
// test script failures by prepending handlers. Raw lxc.* lines live in real files under a temp pveRoot.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GuestKind } from '../../src/config/model.js';
import type {
  CommandFailure,
  CommandResult,
  GuestConfigView,
  HostExec,
  HostPathInfo,
  RunOptions,
} from '../../src/host/host.js';
import type { LiveGuest } from '../../src/host/live.js';
import { withPrivateFiles, type TempFiles } from '../../src/host/temp-files.js';
import type { Result } from '../../src/result.js';
import type { Argv } from '../../src/tasks/step.js';

export interface Reply {
  exit?: number;
  stdout?: string;
  stderr?: string;
}
type Handler = (argv: string[], host: FakeHost) => Reply | undefined;

/** Commands that only read: a converged second run may issue these and nothing else. */
export function isReadOnly(argv: Argv): boolean {
  const line = argv.join(' ');
  return /^(pct|qm) (config|status|list|listsnapshot|pending)\b|^pvesm (status|list)\b|^pveam list\b|^qm guest cmd \d+ ping$|^pvesh get\b|^wget -q -O - |^qm guest exec \d+ (--timeout \d+ )?-- (cloud-init status|cat )/.test(
    line,
  );
}

let macCounter = 0;
const newMac = (): string => `BC:24:11:00:00:${(++macCounter).toString(16).padStart(2, '0').toUpperCase()}`;

/** `--k v` pairs after the positionals. */
function options(argv: string[], from: number): Map<string, string> {
  const opts = new Map<string, string>();
  for (let i = from; i < argv.length; i += 2) opts.set((argv[i] ?? '').replace(/^--/, ''), argv[i + 1] ?? '');
  return opts;
}

function setSize(line: string | undefined, size: string): string {
  return (line ?? '').replace(/size=[^,]+/, `size=${size}`);
}

export class FakeHost implements HostExec {
  readonly node = 'pve';
  readonly calls: string[][] = [];
  /** readGuest calls, the ones that cost a `pct|qm status` on a real node (readGuestConfig costs none there). */
  statusReads = 0;
  readonly guests = new Map<number, LiveGuest>();
  readonly storages = new Map<string, string>([
    ['local', 'active'],
    ['local-lvm', 'active'],
  ]);
  readonly volumes = new Set<string>();
  /** Size new VMs' imported disk gets. */
  importedSize = '3584M';
  private readonly handlers: Handler[] = [];

  constructor(readonly pveRoot: string) {}

  /** Prepends a handler: returning a Reply answers the call, undefined falls through to later ones. */
  on(pattern: RegExp, reply: Reply | Handler, times = Infinity): this {
    let left = times;
    this.handlers.unshift((argv, host) => {
      if (left <= 0 || !pattern.test(argv.join(' '))) return undefined;
      const r = typeof reply === 'function' ? reply(argv, host) : reply;
      if (r !== undefined) left--;
      return r;
    });
    return this;
  }

  /** Calls that change state (everything that is not a read). */
  mutating(): string[] {
    return this.calls.filter((c) => !isReadOnly(c)).map((c) => c.join(' '));
  }

  confFile(id: number): string {
    return path.join(this.pveRoot, 'etc', 'pve', 'nodes', this.node, 'lxc', `${id}.conf`);
  }

  addGuest(g: Partial<LiveGuest> & { id: number; kind: GuestKind }): LiveGuest {
    const guest: LiveGuest = { status: 'stopped', template: false, config: {}, snapshots: [], ...g };
    this.guests.set(guest.id, guest);
    if (guest.kind === 'lxc') this.writeConf(guest.id);
    return guest;
  }

  private writeConf(id: number): void {
    const file = this.confFile(id);
    mkdirSync(path.dirname(file), { recursive: true });
    if (!existsSync(file)) writeFileSync(file, 'arch: amd64\n');
  }

  async run(argv: Argv, opts?: RunOptions): Promise<Result<CommandResult, CommandFailure>> {
    await Promise.resolve();
    const a = [...argv];
    this.calls.push(a);
    let reply: Reply | undefined;
    for (const h of this.handlers) if ((reply = h(a, this))) break;
    reply ??= this.model(a, opts) ?? {};
    const exitCode = reply.exit ?? 0;
    const result = { argv, exitCode, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '', durationMs: 1 };
    if (exitCode === 0) return { ok: true, value: result };
    const stderrTail = result.stderr.trim();
    const message = `${a.slice(0, 2).join(' ')} exited with code ${exitCode}${stderrTail ? `: ${stderrTail}` : ''}`;
    return { ok: false, error: { reason: 'exit-non-zero', argv, exitCode, stderrTail, message } };
  }

  async readGuest(kind: GuestKind, id: number): Promise<LiveGuest | undefined> {
    this.statusReads++;
    return this.snapshotOf(kind, id);
  }

  /** Edits the real file under pveRoot, as the backend does under the simulator's root. */
  editGuestConfig(
    _kind: GuestKind,
    id: number,
    edit: (text: string) => string,
  ): Promise<Result<{ changed: boolean }, CommandFailure>> {
    const file = this.confFile(id);
    if (!existsSync(file)) {
      const message = `cannot read ${file}: no such file`;
      return Promise.resolve({
        ok: false,
        error: { reason: 'file-error', argv: ['edit', file], stderrTail: message, message },
      });
    }
    const text = readFileSync(file, 'utf8');
    const next = edit(text);
    if (next !== text) writeFileSync(file, next);
    return Promise.resolve({ ok: true, value: { changed: next !== text } });
  }

  /** Folders withFiles made, with the files as the command saw them (the folder is gone afterwards). */
  readonly tempDirs: { dir: string; files: Record<string, string> }[] = [];

  withFiles<T>(files: TempFiles, fn: (dir: string) => Promise<T>): Promise<T> {
    return withPrivateFiles(files, (dir) => {
      if (Object.keys(files).length > 0) this.tempDirs.push({ dir, files: { ...files } });
      return fn(dir);
    });
  }

  /** The image file name the fake checksum files list. */
  sumsFile = 'noble-server-cloudimg-amd64.img';

  /** Host files written by steps (AppArmor profiles, cloud-init snippets): path -> content. */
  readonly files = new Map<string, { content: string; mode: number }>();

  writeHostFile(
    file: string,
    content: string,
    mode: number,
  ): Promise<Result<{ changed: boolean }, CommandFailure>> {
    const before = this.files.get(file);
    const changed = before?.content !== content || before.mode !== mode;
    this.files.set(file, { content, mode });
    return Promise.resolve({ ok: true, value: { changed } });
  }

  /** Host folders: path -> owner (what statHostPath and ensureHostDir see and change). */
  readonly dirs = new Map<string, HostPathInfo>();
  /** The folder calls made, in order: `mkdir -p /x`, `chown 100033:100033 /x`. */
  readonly dirCalls: string[] = [];

  readHostFile(file: string): Promise<string | undefined> {
    return Promise.resolve(this.files.get(file)?.content);
  }

  statHostPath(file: string): Promise<HostPathInfo | undefined> {
    return Promise.resolve(this.dirs.get(file));
  }

  ensureHostDir(
    dir: string,
    owner?: { uid: number; gid: number },
  ): Promise<Result<{ changed: boolean }, CommandFailure>> {
    let info = this.dirs.get(dir);
    let changed = false;
    if (info === undefined) {
      this.dirCalls.push(`mkdir -p ${dir}`);
      info = { kind: 'dir', uid: 0, gid: 0 };
      changed = true;
    }
    if (owner && (info.uid !== owner.uid || info.gid !== owner.gid)) {
      this.dirCalls.push(`chown ${owner.uid}:${owner.gid} ${dir}`);
      info = { ...info, ...owner };
      changed = true;
    }
    this.dirs.set(dir, info);
    return Promise.resolve({ ok: true, value: { changed } });
  }

  async readGuestConfig(kind: GuestKind, id: number): Promise<GuestConfigView | undefined> {
    const g = await this.snapshotOf(kind, id);
    if (!g) return undefined;
    const { status: _runState, ...view } = g; // a real config file carries no run state
    return view;
  }

  private async snapshotOf(kind: GuestKind, id: number): Promise<LiveGuest | undefined> {
    await Promise.resolve();
    const g = this.guests.get(id);
    if (!g || g.kind !== kind) return undefined;
    const copy = structuredClone(g);
    if (kind === 'lxc' && existsSync(this.confFile(id))) {
      copy.rawLxc = readFileSync(this.confFile(id), 'utf8')
        .split('\n')
        .map((l) => /^(lxc\.[\w.]+)\s*[:=]\s*(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1] ?? '', m[2] ?? ''] as [string, string]);
    }
    return copy;
  }

  /** A small model of what pct/qm/pvesm/pveam do on success. */
  private model(a: string[], opts?: RunOptions): Reply | undefined {
    const [tool, sub] = a;
    // `qm guest cmd <id>` and `qm disk resize <id>` carry the ID one place later.
    const id = Number(tool === 'qm' && (sub === 'guest' || sub === 'disk') ? a[3] : a[2]);
    const g = this.guests.get(id);
    const line = a.join(' ');
    if (line === 'pvesm status') {
      const rows = [...this.storages].map(([n, s]) => `${n} dir ${s} 100 10 90 10.00%`);
      return { stdout: ['Name Type Status Total Used Available %', ...rows].join('\n') };
    }
    if (tool === 'pveam' && sub === 'list') {
      const rows = [...this.volumes]
        .filter((v) => v.startsWith(`${a[2]}:vztmpl/`))
        .map((v) => `${v}  120.17MB`);
      return { stdout: ['NAME SIZE', ...rows].join('\n') };
    }
    if (tool === 'pveam' && sub === 'download') return (void this.volumes.add(`${a[2]}:vztmpl/${a[3]}`), {});
    if (tool === 'pvesm' && sub === 'list') {
      const rows = [...this.volumes]
        .filter((v) => v.startsWith('local:import/'))
        .map((v) => `${v} qcow2 import 600`);
      return { stdout: ['Volid Format Type Size VMID', ...rows].join('\n') };
    }
    if (tool === 'pvesh' && sub === 'create') {
      const o = options(a, 3);
      return (void this.volumes.add(`local:import/${o.get('filename')}`), {});
    }
    if (line === 'pvesh get /storage --output-format json') {
      const rows = [...this.storages.keys()].map((storage) =>
        storage === 'local'
          ? { storage, type: 'dir', content: 'iso,vztmpl,backup,import,snippets', path: '/var/lib/vz' }
          : { storage, type: 'lvmthin', content: 'images,rootdir' },
      );
      return { stdout: JSON.stringify(rows) };
    }
    // The publishers' checksum files, one line per image (a made-up sum).
    const sums = /^wget -q -O - (https:\/\/\S+)\/SHA(256|512)SUMS$/.exec(line);
    if (sums) return { stdout: `${'ab'.repeat(Number(sums[2]) / 8)} *${this.sumsFile}\n` };
    if (tool === 'pct') return this.pct(a, id, g);
    if (tool === 'qm') return this.qm(a, id, g, opts);
    return undefined;
  }

  private pct(a: string[], id: number, g: LiveGuest | undefined): Reply | undefined {
    const sub = a[1];
    if (sub === 'create') {
      const o = options(a, 4);
      const [pool, size] = (o.get('rootfs') ?? '').split(':');
      const net0 = `${o.get('net0')}${o.get('net0')?.includes('hwaddr') ? '' : `,hwaddr=${newMac()}`},type=veth`;
      const config: Record<string, string> = {
        hostname: o.get('hostname') ?? '',
        memory: o.get('memory') ?? '',
        swap: o.get('swap') ?? '',
        cores: o.get('cores') ?? '',
        rootfs: `${pool}:vm-${id}-disk-0,size=${size}G`,
        net0,
        unprivileged: o.get('unprivileged') ?? '',
      };
      this.addGuest({ id, kind: 'lxc', config });
      return {};
    }
    if (sub === 'clone') {
      const src = this.guests.get(id);
      const newId = Number(a[3]);
      if (!src) return { exit: 255, stderr: `CT ${id} does not exist` };
      const o = options(a, 4);
      const config: Record<string, string> = { ...src.config, hostname: o.get('hostname') ?? '' };
      config.net0 = (config.net0 ?? '').replace(/hwaddr=[^,]+/, `hwaddr=${newMac()}`);
      if (o.has('storage')) config.rootfs = (config.rootfs ?? '').replace(/^[^:]+/, o.get('storage') ?? '');
      this.addGuest({ id: newId, kind: 'lxc', config });
      return {};
    }
    if (!g) return { exit: 2, stderr: `Configuration file 'nodes/pve/lxc/${id}.conf' does not exist` };
    if (sub === 'set') for (const [k, v] of options(a, 3)) g.config = { ...g.config, [k]: v };
    if (sub === 'resize') g.config = { ...g.config, rootfs: setSize(g.config?.rootfs, a[4] ?? '') };
    if (sub === 'start') g.status = 'running';
    if (sub === 'stop') g.status = 'stopped';
    if (sub === 'snapshot') g.snapshots = [...(g.snapshots ?? []), a[3] ?? ''];
    if (sub === 'delsnapshot') g.snapshots = (g.snapshots ?? []).filter((s) => s !== a[3]);
    if (sub === 'destroy') this.guests.delete(id);
    return {};
  }

  private qm(a: string[], id: number, g: LiveGuest | undefined, opts?: RunOptions): Reply | undefined {
    const sub = a[1];
    const sshkeys = (file: string): string => encodeURIComponent(readFileSync(file, 'utf8'));
    if (sub === 'create') {
      const o = options(a, 3);
      const pool = (o.get('scsi0') ?? '').split(':')[0];
      const config: Record<string, string> = {
        name: o.get('name') ?? '',
        memory: o.get('memory') ?? '',
        cores: o.get('cores') ?? '',
        net0: (o.get('net0') ?? '').replace(/^virtio/, `virtio=${newMac()}`),
        scsi0: `${pool}:vm-${id}-disk-0,size=${this.importedSize}`,
        ide2: `${pool}:vm-${id}-cloudinit,media=cdrom`,
        agent: o.get('agent') ?? '',
        ipconfig0: o.get('ipconfig0') ?? '',
      };
      for (const k of ['ciuser', 'nameserver']) if (o.has(k)) config[k] = o.get(k) ?? '';
      if (o.has('sshkeys')) config.sshkeys = sshkeys(o.get('sshkeys') ?? '');
      this.addGuest({ id, kind: 'vm', config });
      return {};
    }
    if (sub === 'clone') {
      const src = this.guests.get(id);
      if (!src) return { exit: 255, stderr: `VM ${id} does not exist` };
      const o = options(a, 4);
      this.addGuest({ id: Number(a[3]), kind: 'vm', config: { ...src.config, name: o.get('name') ?? '' } });
      return {};
    }
    if (!g)
      return { exit: 2, stderr: `Configuration file 'nodes/pve/qemu-server/${id}.conf' does not exist` };
    if (sub === 'set') {
      for (const [k, v] of options(a, 3)) g.config = { ...g.config, [k]: k === 'sshkeys' ? sshkeys(v) : v };
    }
    if (sub === 'disk') g.config = { ...g.config, [a[4] ?? '']: setSize(g.config?.[a[4] ?? ''], a[5] ?? '') };
    if (sub === 'start') g.status = 'running';
    if (sub === 'stop' || sub === 'shutdown') g.status = 'stopped';
    if (sub === 'snapshot') g.snapshots = [...(g.snapshots ?? []), a[3] ?? ''];
    if (sub === 'template') g.template = true;
    if (sub === 'destroy') this.guests.delete(id);
    if (sub === 'guest' && a[2] === 'cmd') {
      return g.status === 'running' ? {} : { exit: 255, stderr: `VM ${id} is not running` };
    }
    if (sub === 'guest' && a[2] === 'exec') {
      // What the VM booted with: the snippet written for it (the fake boots once, with what is there).
      const read = /^cat \/var\/lib\/cloud\/instance\/(user|vendor)-data\.txt$/.exec(
        a.slice(a.indexOf('--') + 1).join(' '),
      );
      const booted = read
        ? this.files.get(`/var/lib/vz/snippets/${read[1]}-data-${id}.yml`)?.content
        : undefined;
      if (read && booted === undefined) return { stdout: '{\n   "exitcode" : 1,\n   "exited" : 1\n}' };
      return {
        stdout: JSON.stringify({
          exitcode: 0,
          exited: 1,
          ...(booted === undefined ? {} : { 'out-data': booted }),
        }),
      };
    }
    void opts;
    return {};
  }
}
