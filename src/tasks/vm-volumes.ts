// `volumes` of a VM: its NFS shares (the user's later VM `volumes`), mounted inside it through the guest agent as
// their vm-manager's apply_volumes did after the agent answered and before the features: the export's folder made on
// the host when the host exports it, an `/etc/fstab` line per share (`nofail`, so a boot without the server goes
// on), and `mount`. Phoenix keeps its lines between two marker lines, so a later run replaces them instead of adding
// to them, and a share dropped from the config is unmounted and leaves fstab.
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
 * Rewrites the fstab `$1` with Phoenix's block replaced by the remaining arguments (no block without any): through
 * a temporary file beside it, renamed over it, so a failure leaves the old file.
 */
export const FSTAB_SCRIPT = [
  'f=$1; shift',
  't=$(mktemp "$f.phoenix.XXXXXX") || exit 1',
  `if sed '/^${FSTAB_BEGIN}$/,/^${FSTAB_END}$/d' "$f" > "$t" &&`,
  '  { [ -z "$(tail -c 1 "$t")" ] || echo >> "$t"; } &&',
  `  { [ $# -eq 0 ] || printf '%s\\n' '${FSTAB_BEGIN}' "$@" '${FSTAB_END}' >> "$t"; } &&`,
  '  chmod 0644 "$t" && mv "$t" "$f"; then exit 0; fi',
  'rm -f "$t"; exit 1',
].join('\n');

/** The NFS client, installed when the image lacks it (their template image had nfs-common baked in). */
export const NFS_CLIENT = [
  'command -v mount.nfs >/dev/null 2>&1 || [ -x /sbin/mount.nfs ] ||',
  '{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-common; }',
].join('\n');

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

/** The mount points in Phoenix's fstab block. */
export function blockTargets(fstab: string): string[] {
  const lines = fstab.split('\n');
  const begin = lines.indexOf(FSTAB_BEGIN);
  const end = lines.indexOf(FSTAB_END, begin + 1);
  if (begin < 0 || end < 0) return [];
  return parseMounts(lines.slice(begin + 1, end).join('\n')).map((m) => m.target);
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

const VOLUME_TIMEOUT_S = 600;
const sh = (script: string, ...args: string[]): string[] => ['/bin/sh', '-c', script, ...args];
const writeFstab = (g: VmGuest): string[] =>
  sh(FSTAB_SCRIPT, FSTAB_SCRIPT_NAME, FSTAB, ...g.config.volumes.map(fstabLine));

/** The commands inside the VM, from what is mounted (`undefined`: not read, every share is mounted). */
function guestCommands(
  g: VmGuest,
  mounts: readonly Mount[] | undefined,
  dropped: readonly string[],
): string[][] {
  const umount = (target: string) => ['umount', target];
  const out: string[][] = dropped.filter((t) => !mounts || mountOn(mounts, t)).map(umount);
  for (const v of g.config.volumes) {
    const m = mounts && mountOn(mounts, v.mount_point);
    if (m && isNfs(m) && m.source === sourceOf(v)) continue;
    if (isNfs(m)) out.push(umount(v.mount_point)); // another share of the server was mounted there
    out.push(['mkdir', '-p', v.mount_point], ['mount', v.mount_point]);
  }
  return out;
}

/** The shares' mount points in the VM's fstab block that the config no longer has. */
const droppedTargets = (g: VmGuest, fstab: string): string[] =>
  blockTargets(fstab).filter((t) => !g.config.volumes.some((v) => v.mount_point === t));

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
    const mounts = text === undefined ? undefined : parseMounts(text);
    const folders = hostFolders(ctx.fleet, g).filter((p) => ctx.live.hostPaths?.get(p)?.kind !== 'dir');
    const inVm = (command: string[], timeoutS?: number): Argv =>
      guestExecArgv(g.id, command, timeoutS === undefined ? {} : { timeoutS });
    return [
      ...folders.map((p): Argv => ['mkdir', '-p', p]),
      inVm(['cloud-init', 'status', '--wait'], 1800),
      inVm(sh(NFS_CLIENT), VOLUME_TIMEOUT_S),
      inVm(['cat', FSTAB]),
      inVm(writeFstab(g)),
      ...guestCommands(g, mounts, []).map((c) => inVm(c, c[0] === 'mount' ? VOLUME_TIMEOUT_S : undefined)),
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
    // As their manager: the first boot's packages and users first.
    const booted = await cloudInitDone(ctx);
    if (!booted.ok) return booted;
    const client = await guestRun(ctx, sh(NFS_CLIENT), { timeoutS: VOLUME_TIMEOUT_S });
    if (!client.ok) return client;
    const [fstab, before] = [await guestRun(ctx, ['cat', FSTAB]), await guestRun(ctx, ['cat', PROC_MOUNTS])];
    if (!fstab.ok) return fstab;
    if (!before.ok) return before;
    const dropped = droppedTargets(g, fstab.value.out);
    const wrote = await guestRun(ctx, writeFstab(g));
    if (!wrote.ok) return wrote;
    for (const command of guestCommands(g, parseMounts(before.value.out), dropped)) {
      if (command[0] === 'mount') ctx.report(`mounting ${command[1]} in VM ${g.id}`);
      const timeoutS = command[0] === 'mount' ? VOLUME_TIMEOUT_S : undefined;
      const res = await guestRun(ctx, command, timeoutS === undefined ? {} : { timeoutS });
      if (!res.ok) return res;
    }
    const after = await guestRun(ctx, ['cat', PROC_MOUNTS]);
    if (!after.ok) return after;
    const left = mountDiffs(g, parseMounts(after.value.out));
    if (left.length === 0) return done;
    const what = left.map((d) => `${String(d.desired)} at ${d.field.replace(/^.* at /, '')}`).join(', ');
    return verifyFailed(
      ctx,
      guestExecArgv(g.id, ['cat', PROC_MOUNTS]),
      `VM ${g.id} does not have ${what} mounted`,
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
