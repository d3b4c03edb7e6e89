// `mounts`: the bind mounts of host folders a container's `mount_points` declare (`mpN: <host>,mp=<path>`), and
// the host folders themselves, made when missing and owned as declared (ids inside the container shifted to the
// host ids they map to). Its own step, so a changed mount re-runs nothing else.
import type { LxcGuest } from '../config/model.js';
import type { HostPathInfo } from '../host/host.js';
import type { LiveGuest } from '../host/live.js';
import { parseProps } from '../host/props.js';
import { done, exec, fail, verifyFailed } from './act.js';
import { existenceCheck, liveOf } from './guest-common.js';
import { hostIdOf } from './lxc-idmap.js';
import { desiredLxc, diffLxc } from './lxc-desired.js';
import { afterStart, pendingNote, pendingOnly } from './pending.js';
import type { Argv, Diff, LiveCheck, StepContext } from './step.js';
import { defineStep } from './step.js';

type MountPoint = LxcGuest['config']['mount_points'][number];

/** The host folder's owner a mount point declares, in host ids; undefined when it declares none. */
export function hostOwner(g: LxcGuest, m: MountPoint): { uid: number; gid: number } | undefined {
  if (m.owner_uid === undefined || m.owner_gid === undefined) return undefined;
  return { uid: hostIdOf(g, 'u', m.owner_uid), gid: hostIdOf(g, 'g', m.owner_gid) };
}

/** `mpN`'s value for a mount point. */
export function mountValue(m: MountPoint): string {
  return `${m.host_path},mp=${m.container_path}${m.read_only ? ',ro=1' : ''}`;
}

const isMpKey = (k: string): boolean => /^mp\d+$/.test(k);

/** Whether a live `mpN` value is this mount point (same host folder, same read-only flag). */
function sameMount(live: string, m: MountPoint): boolean {
  const p = parseProps(live, 'volume');
  return p.get('volume') === m.host_path && (p.get('ro') === '1') === m.read_only;
}

/**
 * Which `mpN` each mount point uses: the key that already mounts its container path keeps it (numbering is stable
 * however the list is edited or reordered); a new one takes the lowest number no key holds, nor `taken` (the keys
 * `configure` adds for `volumes`).
 */
export function mountKeys(
  g: LxcGuest,
  config: Record<string, string>,
  taken: Iterable<string> = [],
): Map<string, string> {
  const used = new Set([...Object.keys(config).filter(isMpKey), ...taken]);
  const byPath = new Map<string, string>();
  for (const [k, v] of Object.entries(config))
    if (isMpKey(k)) {
      const mp = parseProps(v, 'volume').get('mp');
      if (mp !== undefined) byPath.set(mp, k);
    }
  const out = new Map<string, string>();
  for (const m of g.config.mount_points) {
    let key = byPath.get(m.container_path);
    if (key === undefined) {
      let i = 0;
      while (used.has(`mp${i}`)) i++;
      key = `mp${i}`;
      used.add(key);
    }
    out.set(m.container_path, key);
  }
  return out;
}

/** The `mpN` lines that differ from the config: `--mpN value` pairs and their diffs. */
export function mountChanges(
  g: LxcGuest,
  config: Record<string, string>,
  taken: Iterable<string> = [],
): { diffs: Diff[]; setArgs: string[] } {
  const keys = mountKeys(g, config, taken);
  const diffs: Diff[] = [];
  const setArgs: string[] = [];
  for (const m of g.config.mount_points) {
    const key = keys.get(m.container_path)!;
    const have = config[key];
    if (have !== undefined && sameMount(have, m)) continue;
    diffs.push({ field: `${key} (mp=${m.container_path})`, actual: have, desired: mountValue(m) });
    setArgs.push(`--${key}`, mountValue(m));
  }
  return { diffs, setArgs };
}

/** What the host folders lack: missing, not a folder, or another owner. Undefined when they were not read. */
export function folderDiffs(
  g: LxcGuest,
  paths: ReadonlyMap<string, HostPathInfo | null> | undefined,
): Diff[] {
  const out: Diff[] = [];
  for (const m of g.config.mount_points) {
    const info = paths?.get(m.host_path);
    if (info === undefined) continue; // not read: only the cache decides
    const owner = hostOwner(g, m);
    if (info === null || info.kind !== 'dir') {
      out.push({ field: `host folder ${m.host_path}`, actual: info?.kind ?? 'missing', desired: 'dir' });
    } else if (owner && (info.uid !== owner.uid || info.gid !== owner.gid)) {
      out.push({
        field: `owner of ${m.host_path}`,
        actual: `${info.uid}:${info.gid}`,
        desired: `${owner.uid}:${owner.gid}`,
      });
    }
  }
  return out;
}

/** The `mpN` keys `configure` adds for `volumes` before this step runs (only for previews of a guest to be made). */
function keysConfigureAdds(g: LxcGuest, live: Pick<LiveGuest, 'config' | 'rawLxc'>): string[] {
  const { setArgs } = diffLxc(desiredLxc(g), live);
  return setArgs.filter((a) => /^--mp\d+$/.test(a)).map((a) => a.slice(2));
}

function setArgv(g: LxcGuest, setArgs: string[]): Argv[] {
  return setArgs.length === 0 ? [] : [['pct', 'set', String(g.id), ...setArgs]];
}

export const mountsStep = defineStep<LxcGuest>({
  kind: 'mounts',
  instances: (g) => (g.config.mount_points.length > 0 ? ['mounts'] : []),
  // The owner's host ids depend on the container's id mapping.
  inputs: (ctx) => ({
    mount_points: ctx.target.config.mount_points,
    unprivileged: ctx.target.config.unprivileged,
    id_maps: ctx.target.config.id_maps,
  }),
  check(ctx: StepContext<LxcGuest>): LiveCheck {
    const g = ctx.target;
    const live = liveOf(ctx);
    const bad = existenceCheck(g, live);
    if (bad) return bad;
    if (live?.config === undefined) return { ok: 'unknown' };
    const diffs = [
      ...folderDiffs(g, ctx.live.hostPaths),
      ...mountChanges(g, afterStart(live).config ?? {}).diffs,
    ];
    if (diffs.length > 0)
      return { ok: false, reason: 'drift', detail: `${diffs.length} mount setting(s) differ`, diffs };
    // A changed mpN of a running container waits in the pending section: the plan says it needs a restart.
    const pending = pendingOnly(mountChanges(g, live.config).diffs, diffs);
    return pending.length > 0 ? { ok: true, pending } : { ok: true };
  },
  preview(ctx) {
    const g = ctx.target;
    const live = liveOf(ctx);
    const folders = g.config.mount_points.flatMap((m): Argv[] => {
      const info = ctx.live.hostPaths?.get(m.host_path);
      const owner = hostOwner(g, m);
      const mk: Argv[] = info ? [] : [['mkdir', '-p', m.host_path]];
      const own: Argv[] =
        owner && !(info && info.uid === owner.uid && info.gid === owner.gid)
          ? [['chown', `${owner.uid}:${owner.gid}`, m.host_path]]
          : [];
      return [...mk, ...own];
    });
    const config = live ? (afterStart(live).config ?? {}) : {};
    const taken = live ? [] : keysConfigureAdds(g, { config: {}, rawLxc: [] });
    return [...folders, ...setArgv(g, mountChanges(g, config, taken).setArgs)];
  },
  async run(ctx) {
    const g = ctx.target;
    for (const m of g.config.mount_points) {
      const made = await ctx.host.ensureHostDir(m.host_path, hostOwner(g, m));
      if (!made.ok) return fail(ctx, made.error.message, made.error);
      if (made.value.changed) ctx.report(`host folder ${m.host_path} ready`);
    }
    const before = await ctx.host.readGuestConfig('lxc', g.id);
    if (!before) return fail(ctx, `CT ${g.id} does not exist`);
    const changes = mountChanges(g, afterStart(before).config ?? {});
    const [argv] = setArgv(g, changes.setArgs);
    if (!argv) return done;
    ctx.report(`mounting ${changes.diffs.map((d) => d.field).join(', ')}`);
    const res = await exec(ctx, argv);
    if (!res.ok) return res;
    const after = await ctx.host.readGuestConfig('lxc', g.id);
    const left = after ? mountChanges(g, afterStart(after).config ?? {}).diffs : changes.diffs;
    if (left.length > 0)
      return verifyFailed(
        ctx,
        argv,
        `CT ${g.id} mounts did not take: ${left.map((d) => d.field).join(', ')}`,
      );
    const pending = after?.config ? pendingOnly(mountChanges(g, after.config).diffs, left) : [];
    if (pending.length > 0) ctx.report(pendingNote(g, pending));
    return done;
  },
});
