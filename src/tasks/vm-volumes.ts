// `volumes` of a VM: its NFS shares (the user's later VM `volumes`), mounted inside it through the guest agent as
// their vm-manager's apply_volumes did after the agent answered and before the features: the export's folder made on
// the host when the host exports it, an `/etc/fstab` line per share (`nofail`, so a boot without the server goes
// on), and `mount`. Phoenix keeps its lines between two marker lines, so a later run replaces them instead of adding
// to them (a line of their manager's for the same folder is replaced too), and a share dropped from the config is
// unmounted and leaves fstab.
//
// A step aside (StepSpec.aside): a changed share re-runs this step and nothing else. Not in the cloud-init data,
// which runs once per instance: a share added later would need a new instance, and the features' check compares
// the data the VM booted with (vm-features.ts), so every feature would run again.
import type { Fleet, VmGuest } from '../config/model.js';
import type { VmConfig } from '../config/schema.js';
import type { HostPathInfo } from '../host/live.js';
import { done, fail, verifyFailed } from './act.js';
import { existenceCheck, liveOf } from './guest-common.js';
import type { Argv, Diff, ExecutableStep, LiveCheck, StepContext } from './step.js';
import { defineStep } from './step.js';
import { cloudInitDone, guestExecArgv, guestRun } from './vm-guest.js';

type Volume = VmConfig['volumes'][number];

export const FSTAB = '/etc/fstab';
export const PROC_MOUNTS = '/proc/mounts';
export const FSTAB_BEGIN = '# BEGIN phoenix volumes';
export const FSTAB_END = '# END phoenix volumes';
/** `$0` of the fstab script: how its runs are told apart in a log (and by the simulator). */
export const FSTAB_SCRIPT_NAME = 'phoenix-fstab';

/**
 * Writes `$2` as the file `$1`: through a temporary file beside it, renamed over it, so a failure leaves the old
 * file. Phoenix makes the new fstab from the one it read (fstabWith), so the script itself decides nothing.
 */
export const FSTAB_SCRIPT =
  't=$(mktemp "$1.phoenix.XXXXXX") || exit 1; ' +
  'if printf \'%s\' "$2" > "$t" && chmod 0644 "$t" && mv "$t" "$1"; then exit 0; fi; rm -f "$t"; exit 1';

/** The NFS client, installed when the image lacks it (their template image had nfs-common baked in). */
export const NFS_CLIENT = [
  'command -v mount.nfs >/dev/null 2>&1 || [ -x /sbin/mount.nfs ] ||',
  '{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-common; }',
].join(' ');

/** What `mount` is given: `10.0.0.13:/srv/nfs/1001`. */
export const sourceOf = (v: Volume): string => `${v.server}:${v.path}`;

/** The fstab line of a share, with their vm-manager's options. */
export const fstabLine = (v: Volume): string =>
  `${sourceOf(v)} ${v.mount_point} nfs defaults,auto,nofail 0 0`;

export interface Mount {
  source: string;
  target: string;
  type: string;
}

/** `/proc/mounts` (or fstab lines): source, target, type; octal escapes (`\040` for a space) decoded. */
export function parseMounts(text: string): Mount[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text.split('\n').flatMap((line) => {
    const [source, target, type] = line.trim().split(/\s+/);
    if (!source || !target || !type || source.startsWith('#')) return [];
    return [{ source: unescape(source), target: unescape(target), type }];
  });
}

/** The last mount on a folder: what a process there sees. */
function mountOn(mounts: readonly Mount[], target: string): Mount | undefined {
  return mounts.filter((m) => m.target === target).at(-1);
}

const isNfs = (m: Mount | undefined): boolean => m !== undefined && /^nfs4?$/.test(m.type);

/** The shares not mounted as configured, as diffs against `/proc/mounts`. */
export function mountDiffs(g: VmGuest, mounts: readonly Mount[]): Diff[] {
  return g.config.volumes.flatMap((v, i) => {
    const m = mountOn(mounts, v.mount_point);
    if (isNfs(m) && m?.source === sourceOf(v)) return [];
    const actual = m ? `${m.source} (${m.type})` : 'not mounted';
    return [{ field: `volumes[${i}] at ${v.mount_point}`, actual, desired: sourceOf(v) }];
  });
}

/** The folders the hypervisor's own NFS exports (`nfs.exports[].path`, read by its setup_nfs script). */
function hostExports(fleet: Fleet): string[] {
  const nfs = (fleet.hypervisor as { nfs?: { exports?: { path?: unknown }[] } }).nfs;
  const list = Array.isArray(nfs?.exports) ? nfs.exports : [];
  return list.flatMap((e) => (typeof e?.path === 'string' && e.path.startsWith('/') ? [e.path] : []));
}

/**
 * The shares' folders Phoenix makes on the host: those inside a folder the host exports (the server is this host;
 * their manager made each one before mounting it). Another server's folders are that server's business.
 */
export function hostFolders(fleet: Fleet, g: VmGuest): string[] {
  const exported = hostExports(fleet);
  const inside = (p: string) => exported.some((e) => p === e || p.startsWith(e.endsWith('/') ? e : `${e}/`));
  return [...new Set(g.config.volumes.map((v) => v.path).filter(inside))];
}

function folderDiffs(ctx: StepContext<VmGuest>, paths: Map<string, HostPathInfo | null> | undefined): Diff[] {
  if (paths === undefined) return [];
  return hostFolders(ctx.fleet, ctx.target).flatMap((p) => {
    const info = paths.get(p);
    if (info === undefined || info?.kind === 'dir') return [];
    return [{ field: `host folder ${p}`, actual: info === null ? 'missing' : info.kind, desired: 'folder' }];
  });
}

/** How long the NFS client's install or one mount may take inside the VM, seconds. */
const VOLUME_TIMEOUT_S = 600;
const sh = (script: string, ...args: string[]): string[] => ['/bin/sh', '-c', script, ...args];
/** Shown for the new fstab in a plan: it is made from the VM's fstab, which is read only when the step runs. */
const FSTAB_PLACEHOLDER = '<its fstab with the phoenix volumes block>';
const writeFstab = (text: string): string[] => sh(FSTAB_SCRIPT, FSTAB_SCRIPT_NAME, FSTAB, text);

/** The lines of Phoenix's fstab block (undefined without one). */
function blockLines(fstab: string): string[] | undefined {
  const lines = fstab.split('\n');
  const begin = lines.indexOf(FSTAB_BEGIN);
  const end = lines.indexOf(FSTAB_END, begin + 1);
  return begin < 0 || end < 0 ? undefined : lines.slice(begin + 1, end);
}

/** The mount points in Phoenix's fstab block. */
export const blockTargets = (fstab: string): string[] =>
  parseMounts((blockLines(fstab) ?? []).join('\n')).map((m) => m.target);

/**
 * The VM's fstab with Phoenix's block holding its volumes' lines, in place of the old block. A line outside the
 * block for one of those folders goes (their vm-manager appended its lines without a block: adopted, they would
 * mount the folder twice); every other line stays as it was.
 */
export function fstabWith(fstab: string, g: VmGuest): string {
  const folders = new Set(g.config.volumes.map((v) => v.mount_point));
  const kept: string[] = [];
  let inBlock = false;
  const text = fstab.replace(/\n$/, '');
  for (const line of text === '' ? [] : text.split('\n')) {
    if (line === FSTAB_BEGIN) inBlock = true;
    else if (inBlock) inBlock = line !== FSTAB_END;
    else if (!parseMounts(line).some((m) => folders.has(m.target))) kept.push(line);
  }
  const block = folders.size > 0 ? [FSTAB_BEGIN, ...g.config.volumes.map(fstabLine), FSTAB_END] : [];
  const lines = [...kept, ...block];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * The commands inside the VM that bring it to its volumes, from its fstab and `/proc/mounts` (undefined: not read,
 * so everything is done): the NFS client when a share is to be mounted, the fstab when it differs, then
 * `umount` of the shares the config dropped or that another share sits on, and `mkdir` + `mount` of the rest.
 */
export function volumeCommands(
  g: VmGuest,
  fstab: string | undefined,
  mounts: Mount[] | undefined,
): string[][] {
  const wanted = g.config.volumes.map((v) => v.mount_point);
  const text = fstab === undefined ? FSTAB_PLACEHOLDER : fstabWith(fstab, g);
  const mountedOn = (t: string) => (mounts === undefined ? undefined : mountOn(mounts, t));
  const dropped = fstab === undefined ? [] : blockTargets(fstab).filter((t) => !wanted.includes(t));
  const umounts = dropped.filter((t) => isNfs(mountedOn(t))).map((t) => ['umount', t]);
  const mounting = g.config.volumes.flatMap((v) => {
    const m = mountedOn(v.mount_point);
    if (isNfs(m) && m?.source === sourceOf(v)) return [];
    return [
      ...(isNfs(m) ? [['umount', v.mount_point]] : []),
      ['mkdir', '-p', v.mount_point],
      ['mount', v.mount_point],
    ];
  });
  return [
    ...(mounting.length > 0 ? [sh(NFS_CLIENT)] : []),
    ...(text === fstab ? [] : [writeFstab(text)]),
    ...umounts,
    ...mounting,
  ];
}

/** A command's timeout inside the VM: long for what may download or wait for the server. */
const timeoutOf = (command: string[]): { timeoutS?: number } =>
  command[0] === 'mount' || command[2] === NFS_CLIENT ? { timeoutS: VOLUME_TIMEOUT_S } : {};

export const vmVolumesStep: ExecutableStep<VmGuest> = defineStep<VmGuest>({
  kind: 'volumes',
  instances: (g) => (g.config.volumes.length > 0 && !g.config.is_template ? ['volumes'] : []),
  inputs: (ctx) => ({ volumes: ctx.target.config.volumes, host_folders: hostFolders(ctx.fleet, ctx.target) }),
  aside: true,
  check(ctx): LiveCheck {
    const live = liveOf(ctx);
    const bad = existenceCheck(ctx.target, live);
    if (bad) return bad;
    const folders = folderDiffs(ctx, ctx.live.hostPaths);
    const text = ctx.live.guestMounts?.get(ctx.target.id);
    // Read through the agent only while the VM runs and the agent answers: otherwise the cache decides.
    const diffs = [...folders, ...(text === undefined ? [] : mountDiffs(ctx.target, parseMounts(text)))];
    if (diffs.length > 0)
      return { ok: false, reason: 'drift', detail: `${diffs.length} volume(s) not as configured`, diffs };
    return text === undefined ? { ok: 'unknown' } : { ok: true };
  },
  preview(ctx) {
    const g = ctx.target;
    const text = ctx.live.guestMounts?.get(g.id);
    const folders = hostFolders(ctx.fleet, g).filter((p) => ctx.live.hostPaths?.get(p)?.kind !== 'dir');
    const inVm = (command: string[]): Argv => guestExecArgv(g.id, command, timeoutOf(command));
    return [
      ...folders.map((p): Argv => ['mkdir', '-p', p]),
      guestExecArgv(g.id, ['cloud-init', 'status', '--wait'], { timeoutS: 1800 }),
      inVm(['cat', FSTAB]),
      inVm(['cat', PROC_MOUNTS]),
      // The fstab is read only when the step runs: the one it writes is shown by a placeholder.
      ...volumeCommands(g, undefined, text === undefined ? undefined : parseMounts(text)).map(inVm),
      inVm(['cat', PROC_MOUNTS]),
    ];
  },
  async run(ctx) {
    const g = ctx.target;
    for (const p of hostFolders(ctx.fleet, g)) {
      const made = await ctx.host.ensureHostDir(p);
      if (!made.ok) return fail(ctx, made.error.message, made.error);
      if (made.value.changed) ctx.report(`host folder ${p} made (exported by this host)`);
    }
    const live = await ctx.host.readGuest('vm', g.id);
    if (!live) return fail(ctx, `VM ${g.id} does not exist`);
    if (live.status !== 'running')
      return fail(ctx, `VM ${g.id} is ${live.status}: its volumes are mounted inside it`);
    // As their manager did: the first boot (its packages, its users) is over first.
    const booted = await cloudInitDone(ctx);
    if (!booted.ok) return booted;
    const fstab = await guestRun(ctx, ['cat', FSTAB]);
    if (!fstab.ok) return fstab;
    const before = await guestRun(ctx, ['cat', PROC_MOUNTS]);
    if (!before.ok) return before;
    const commands = volumeCommands(g, fstab.value.out, parseMounts(before.value.out));
    if (commands.length === 0) return done;
    for (const command of commands) {
      if (command[0] === 'mount') ctx.report(`mounting ${command[1]} in VM ${g.id}`);
      const res = await guestRun(ctx, command, timeoutOf(command));
      if (!res.ok) return res;
    }
    const after = await guestRun(ctx, ['cat', PROC_MOUNTS]);
    if (!after.ok) return after;
    const left = mountDiffs(g, parseMounts(after.value.out));
    if (left.length === 0) return done;
    const what = left.map((d) => `${d.field} is ${String(d.actual)}, wanted ${String(d.desired)}`).join('; ');
    return verifyFailed(
      ctx,
      guestExecArgv(g.id, ['cat', PROC_MOUNTS]),
      `VM ${g.id} volumes did not mount: ${what}`,
    );
  },
});

/** Folders of the host the plan stats for the check (a share's folder the host exports). */
export const volumeHostFolders = (fleet: Fleet, g: VmGuest): string[] =>
  g.config.volumes.length > 0 && !g.config.is_template ? hostFolders(fleet, g) : [];

/** Whether the plan reads the VM's mounts through its agent (it runs, and has volumes). */
export const readsMounts = (g: VmGuest, status: string | undefined): boolean =>
  status === 'running' && g.config.volumes.length > 0 && !g.config.is_template;

export const mountsArgv = (id: number): Argv => guestExecArgv(id, ['cat', PROC_MOUNTS]);
