// Steps and helpers shared by containers and VMs: the live guest, the passthrough config keys scripts read, the
// `feature:<name>` step (a host script with the guest ID), the `snapshot` step and a container's `pre-configured`.
import path from 'node:path';
import type { Fleet, Guest, LxcGuest, VmGuest } from '../config/model.js';
import { LXC_GUEST_KEYS, VM_GUEST_KEYS } from '../config/schema-keys.js';
import { globalsReadBy } from '../config/script-files.js';
import type { LiveGuest } from '../host/live.js';
import type { StepOptions } from './options.js';
import { done, exec, fail, fieldOrigin, verifyFailed } from './act.js';
import { err, type Result } from '../result.js';
import type { ActionContext, Argv, ExecutableStep, LiveCheck, StepContext, StepFailure } from './step.js';
import { defineStep } from './step.js';

export const tool = (g: Guest): 'pct' | 'qm' => (g.kind === 'lxc' ? 'pct' : 'qm');
const kindWord = (g: Guest): string => (g.kind === 'lxc' ? 'container' : 'VM');

/** The guest as read before planning. */
export function liveOf(ctx: StepContext<Guest>): LiveGuest | undefined {
  return ctx.liveGuest ?? ctx.live.guests.get(ctx.target.id);
}

/** The common prefix of every check: the guest must exist, and be of the configured kind. */
export function existenceCheck(g: Guest, live: LiveGuest | undefined): LiveCheck | undefined {
  if (!live) return { ok: false, reason: 'missing', detail: `${kindWord(g)} ${g.id} does not exist` };
  if (live.kind !== g.kind) {
    const detail = `ID ${g.id} is a ${live.kind === 'lxc' ? 'container' : 'VM'} on the host, the config says ${kindWord(g)}`;
    const diffs = [{ field: 'kind', actual: live.kind, desired: g.kind }];
    return { ok: false, reason: 'drift', detail, diffs, needsReplace: detail };
  }
  return undefined;
}

const knownKeys = {
  lxc: new Set(LXC_GUEST_KEYS),
  vm: new Set(VM_GUEST_KEYS),
};

/** Config keys the schema does not know (vllm_*, portainer_role, ...): read by feature and app scripts. */
export function passthrough(g: Guest): Record<string, unknown> {
  const known = knownKeys[g.kind];
  return Object.fromEntries(Object.entries(g.config).filter(([k]) => !known.has(k)));
}

/** The feature a `feature:<name>` step runs. */
export function featureOf(ctx: StepContext<Guest>): { name: string; path: string } {
  const name = ctx.name.replace(/^feature:/, '');
  const feature = ctx.target.scripts.features.find((f) => f.name === name);
  if (!feature) throw new Error(`no script resolved for feature ${name} of guest ${ctx.target.id}`);
  return feature;
}

/** Environment every guest script gets (the original passed only the ID; the rest saves scripts a lookup). */
export function guestScriptEnv(
  g: Guest,
  fleet: Fleet,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PHOENIX_GUEST_ID: String(g.id),
    [g.kind === 'lxc' ? 'PHOENIX_CTID' : 'PHOENIX_VMID']: String(g.id),
    PHOENIX_GUEST_KIND: g.kind,
    PHOENIX_CONFIG_FILE: g.origin.file,
    PHOENIX_HYPERVISOR_CONFIG_FILE: fleet.hypervisorConfigFile,
    PHOENIX_GUEST_CONFIG: JSON.stringify(g.config),
    ...extra,
  };
}

/** Runs a script on the host with the guest ID as $1, as the original ran its feature scripts. */
export async function runHostScript(
  ctx: ActionContext<LxcGuest | VmGuest>,
  script: string,
  extraEnv: Record<string, string> = {},
): Promise<Result<void, StepFailure>> {
  const res = await exec(ctx, [script, String(ctx.target.id)], {
    env: guestScriptEnv(ctx.target, ctx.fleet, extraEnv),
    cwd: path.dirname(script),
  });
  return res.ok ? done : res;
}

/** `feature:<name>` of a container: the feature script on the host, `[script, id]`, as the original ran it. */
export function featureStep<T extends LxcGuest>(): ExecutableStep<T> {
  return defineStep<T>({
    kind: 'feature',
    instances: (g) => g.config.features.map((f) => `feature:${f}`),
    inputs: (ctx) => ({
      feature: featureOf(ctx).name,
      passthrough: passthrough(ctx.target),
      globals: globalsReadBy(ctx.fleet, [featureOf(ctx).path]),
    }),
    scripts: (ctx) => [featureOf(ctx).path],
    cascades: true,
    // A script's effect inside the guest cannot be read back: once the guest exists, only the cache decides.
    check: (ctx) => existenceCheck(ctx.target, liveOf(ctx)) ?? { ok: 'unknown' },
    preview: (ctx) => [[featureOf(ctx).path, String(ctx.target.id)]],
    async run(ctx) {
      const feature = featureOf(ctx);
      ctx.report(`running feature ${feature.name}`);
      return runHostScript(ctx, feature.path, { PHOENIX_FEATURE: feature.name });
    },
  });
}

/** The lifecycle snapshot every guest gets after its last step (the original's `create_final_form_snapshot`). */
export const LIFECYCLE_SNAPSHOT = 'final-form';

/**
 * Whether a guest takes the lifecycle snapshot: unless the config turns it off. Never a VM template (read-only),
 * nor a container with a bind mount: Proxmox refuses to snapshot it (pve-guest-common `AbstractConfig.pm`
 * `snapshot_prepare` asks every mount point's storage, and pve-storage `Storage.pm` `volume_has_feature` answers
 * no for a host path: `snapshot feature is not available`; docs/proxmox-facts.md F9.4).
 */
export function takesLifecycleSnapshot(g: Guest): boolean {
  if (g.config.enable_lifecycle_snapshots === false) return false;
  if (g.kind === 'vm') return !g.config.is_template;
  return !hasBindMount(g);
}

/** A container mount point that is a host path (`volumes[].host_path`, `mount_points`). */
export function hasBindMount(g: LxcGuest): boolean {
  return g.config.volumes.some((v) => v.host_path !== undefined) || g.config.mount_points.length > 0;
}

/**
 * The lifecycle snapshots a guest takes on top of its `template_snapshot_name` (none when the template snapshot
 * already has that name, as the user's templates' `final-form`).
 */
export function lifecycleSnapshots(g: Guest): string[] {
  return takesLifecycleSnapshot(g) && g.config.template_snapshot_name !== LIFECYCLE_SNAPSHOT
    ? [LIFECYCLE_SNAPSHOT]
    : [];
}

/** Where a setting of a guest is written: `file at path`. */
const at = (g: Guest, ...rest: (string | number)[]): string =>
  `${g.origin.file} at ${[...g.origin.path, ...rest].join('.')}`;

/** Why a guest has no snapshot step, and what to change to have one. */
export function whyNoSnapshot(g: Guest): string | undefined {
  if (g.kind === 'vm' && g.config.is_template)
    return (
      `VM ${g.id} is a template, which takes no snapshot (Proxmox makes no template of a VM with snapshots; its ` +
      `clones are made from its base disks): its last step is ${g.id}:template`
    );
  if (g.config.template_snapshot_name !== undefined) return undefined;
  if (g.config.enable_lifecycle_snapshots === false)
    return (
      `${kindWord(g)} ${g.id} takes no lifecycle snapshot (enable_lifecycle_snapshots: false, ${at(g, 'enable_lifecycle_snapshots')}) ` +
      `and names no template_snapshot_name: remove that setting (or set template_snapshot_name) to have one`
    );
  if (g.kind === 'lxc' && hasBindMount(g)) {
    const i =
      g.config.mount_points.length > 0 ? -1 : g.config.volumes.findIndex((v) => v.host_path !== undefined);
    const where = i < 0 ? at(g, 'mount_points', 0) : at(g, 'volumes', i, 'host_path');
    return (
      `container ${g.id} has a bind mount (${where}), and Proxmox cannot snapshot a container with one ` +
      `(snapshot feature is not available): to have a snapshot, give it volumes on a storage instead of host folders`
    );
  }
  return undefined;
}

/** Every snapshot the step keeps: `template_snapshot_name` first, then the lifecycle ones. */
function snapNames(g: Guest): string[] {
  const t = g.config.template_snapshot_name;
  return [...(t === undefined ? [] : [t]), ...lifecycleSnapshots(g)];
}

const takeArgv = (g: Guest, name: string): Argv => [tool(g), 'snapshot', String(g.id), name];
const dropArgv = (g: Guest, name: string): Argv => [tool(g), 'delsnapshot', String(g.id), name];

/** The check of a step that keeps snapshots: the guest has each of them. */
function snapshotsCheck(ctx: StepContext<LxcGuest | VmGuest>, names: string[]): LiveCheck {
  const live = liveOf(ctx);
  const bad = existenceCheck(ctx.target, live);
  if (bad) return bad;
  if (live?.snapshots === undefined) return { ok: 'unknown' };
  const missing = names.filter((n) => !live.snapshots?.includes(n));
  if (missing.length === 0) return { ok: true };
  const list = missing.map((n) => `'${n}'`).join(', ');
  return { ok: false, reason: 'missing', detail: `snapshot ${list} does not exist` };
}

/** Its commands: take the missing ones; delete and take again the others when what they hold changed (redo). */
function snapshotsPreview(ctx: StepContext<LxcGuest | VmGuest>, names: string[]): Argv[] {
  const have = liveOf(ctx)?.snapshots ?? [];
  return names.flatMap((n) => {
    if (!have.includes(n)) return [takeArgv(ctx.target, n)];
    return ctx.redo ? [dropArgv(ctx.target, n), takeArgv(ctx.target, n)] : [];
  });
}

/** Its action, each snapshot read back after it is taken. */
async function keepSnapshots(
  ctx: ActionContext<LxcGuest | VmGuest>,
  names: string[],
): Promise<Result<void, StepFailure>> {
  const g = ctx.target;
  const before = await ctx.host.readGuestConfig(g.kind, g.id);
  if (!before) return fail(ctx, `${kindWord(g)} ${g.id} does not exist`);
  for (const name of names) {
    if (before.snapshots?.includes(name)) {
      // Still there and what it holds did not change (adopted, or the record was lost): keep it.
      if (!ctx.redo) continue;
      ctx.report(`re-taking snapshot ${name}: what it holds changed`);
      const del = await exec(ctx, dropArgv(g, name));
      if (!del.ok) return del;
    }
    const argv = takeArgv(g, name);
    ctx.report(`taking snapshot ${name}`);
    const res = await exec(ctx, argv);
    if (!res.ok) {
      // Taken meanwhile by a command of an earlier run that was killed (its children outlive it, and finish after
      // this run read the guest): the snapshot this step wants is there, of the same build.
      const now = await ctx.host.readGuestConfig(g.kind, g.id);
      if (now?.snapshots?.includes(name)) {
        ctx.report(`snapshot ${name} was taken meanwhile (by an interrupted run's command): kept`);
        continue;
      }
      return snapshotFailed(ctx, name, res.error);
    }
    const after = await ctx.host.readGuestConfig(g.kind, g.id);
    if (!after?.snapshots?.includes(name))
      return verifyFailed(ctx, argv, `snapshot '${name}' is not there after taking it`, res.value);
  }
  return done;
}

/**
 * `snapshot`: every guest's last step (before a VM becomes a template). It takes `template_snapshot_name` and the
 * lifecycle snapshot (`final-form`, the guest as its steps left it) when they are missing, and re-takes them
 * (delete, take) when what they hold changed (ctx.redo: an upstream step re-ran, its inputs changed, --force), so
 * clones made from now on get the new build; never on a run that changed nothing, unlike the original, which
 * re-took `final-form` on every run. A snapshot that linked clones sit on is never deleted (the planner refuses).
 */
export function snapshotStep<T extends LxcGuest | VmGuest>(applies: (g: T) => boolean): ExecutableStep<T> {
  return defineStep<T>({
    kind: 'snapshot',
    instances: (g) => (applies(g) && snapNames(g).length > 0 ? ['snapshot'] : []),
    absent: (g) => whyNoSnapshot(g),
    // Not the lifecycle snapshot: added, it is taken because it is missing, and turning it on or off changes
    // nothing the template snapshot holds (a changed input would re-take the snapshot clones are made from).
    inputs: (ctx) => ({ template_snapshot_name: ctx.target.config.template_snapshot_name }),
    cascades: true,
    check: (ctx) => snapshotsCheck(ctx, snapNames(ctx.target)),
    preview: (ctx) => snapshotsPreview(ctx, snapNames(ctx.target)),
    run: (ctx) => keepSnapshots(ctx, snapNames(ctx.target)),
  });
}

/** The lifecycle snapshot of a container before its features (the user's later lxc-manager's). */
export const PRE_CONFIGURED = 'pre-configured';

/**
 * Whether a container takes `pre-configured`: as the user's later lxc-manager, only when its config sets
 * `enable_lifecycle_snapshots: true` (unset keeps Phoenix's default, `final-form` alone); never when it cannot be
 * snapshotted, nor when its template snapshot has that name (the 30cc6f7 templates'), which `snapshot` takes.
 */
export function takesPreConfigured(g: Guest): boolean {
  return (
    g.kind === 'lxc' &&
    g.config.enable_lifecycle_snapshots === true &&
    takesLifecycleSnapshot(g) &&
    g.config.template_snapshot_name !== PRE_CONFIGURED
  );
}

/**
 * `pre-configured`: the container as define, configure, disk, mounts and start left it, before its features, as
 * the user's later lxc-manager took it (create_pre_configured_snapshot after start_container). A step aside: the
 * features cascade from `start` past it, so adding or re-taking it re-runs nothing; and since nothing before it
 * cascades (settings apply whatever the disk holds), a feature change never re-takes it. Taken when missing.
 */
export const preConfiguredStep: ExecutableStep<LxcGuest> = defineStep<LxcGuest>({
  kind: PRE_CONFIGURED,
  instances: (g) => (takesPreConfigured(g) ? [PRE_CONFIGURED] : []),
  absent: (g) =>
    g.config.template_snapshot_name === PRE_CONFIGURED
      ? `its template snapshot is named ${PRE_CONFIGURED}: ${g.id}:snapshot takes it`
      : `container ${g.id} takes it only with enable_lifecycle_snapshots: true (${at(g, 'enable_lifecycle_snapshots')}), ` +
        "as the user's later lxc-manager did, and only when it can be snapshotted (no bind mount)",
  inputs: () => ({}),
  aside: true,
  check: (ctx) => snapshotsCheck(ctx, [PRE_CONFIGURED]),
  preview: (ctx) => snapshotsPreview(ctx, [PRE_CONFIGURED]),
  run: (ctx) => keepSnapshots(ctx, [PRE_CONFIGURED]),
});

/** A storage without snapshots: say which setting turns the lifecycle snapshot off. */
function snapshotFailed(
  ctx: ActionContext<LxcGuest | VmGuest>,
  name: string,
  error: StepFailure,
): Result<never, StepFailure> {
  if (
    !(name === PRE_CONFIGURED || lifecycleSnapshots(ctx.target).includes(name)) ||
    !/snapshot feature is not available/.test(error.message)
  )
    return err(error);
  return fail(
    ctx,
    `${error.message} (a disk of ${kindWord(ctx.target)} ${ctx.target.id} is on a storage without snapshots: ` +
      `set enable_lifecycle_snapshots: false for it at ${fieldOrigin(ctx.target, 'enable_lifecycle_snapshots')})`,
    error.command,
  );
}

/** The commands that destroy a guest as it is: stopped first unless already stopped. */
export function destroyArgvs(g: Guest, live: Pick<LiveGuest, 'status'>): Argv[] {
  const destroy = [tool(g), 'destroy', String(g.id), '--purge', '1'];
  return live.status === 'stopped' ? [destroy] : [[tool(g), 'stop', String(g.id)], destroy];
}

/** --replace: destroy the guest so `define` can make it again (stopped first unless already stopped). */
export async function destroyGuest(
  ctx: ActionContext<LxcGuest | VmGuest>,
): Promise<Result<void, StepFailure>> {
  const g = ctx.target;
  const label = `${g.kind === 'lxc' ? 'CT' : 'VM'} ${g.id}`;
  ctx.report(`replacing ${label}: destroying it (--replace)`);
  const live = await ctx.host.readGuest(g.kind, g.id);
  if (!live) return done; // gone already
  const argvs = destroyArgvs(g, live);
  for (const stop of argvs.slice(0, -1)) {
    const res = await exec(ctx, stop);
    if (!res.ok) return res;
  }
  const argv = argvs.at(-1)!;
  const res = await exec(ctx, argv);
  if (!res.ok) return res;
  if (await ctx.host.readGuestConfig(g.kind, g.id))
    return verifyFailed(ctx, argv, `${label} still exists after destroy`, res.value);
  return done;
}

/** Drift of a guest that should run and does not. */
export function notRunning(g: Guest, live: LiveGuest | undefined): LiveCheck {
  return {
    ok: false,
    reason: 'drift',
    detail: `${kindWord(g)} ${g.id} is ${live?.status ?? 'unknown'}`,
    diffs: [{ field: 'status', actual: live?.status, desired: 'running' }],
  };
}

/** `start`: skip when running (or a VM template, which cannot run); a few attempts with a pause, as the original. */
export function startStep<T extends LxcGuest | VmGuest>(options: StepOptions): ExecutableStep<T> {
  const startArgv = (g: Guest): Argv => [tool(g), 'start', String(g.id)];
  const settled = (live: LiveGuest | undefined): boolean =>
    live?.status === 'running' || live?.template === true;
  return defineStep<T>({
    kind: 'start',
    inputs: () => ({}),
    check(ctx) {
      const live = liveOf(ctx);
      const bad = existenceCheck(ctx.target, live);
      if (bad) return bad;
      return settled(live) ? { ok: true } : notRunning(ctx.target, live);
    },
    preview: (ctx) => (settled(liveOf(ctx)) ? [] : [startArgv(ctx.target)]),
    async run(ctx) {
      const g = ctx.target;
      const argv = startArgv(g);
      let last: StepFailure | undefined;
      for (let attempt = 1; attempt <= options.startAttempts; attempt++) {
        const live = await ctx.host.readGuest(g.kind, g.id);
        if (!live) return fail(ctx, `${kindWord(g)} ${g.id} does not exist`);
        if (settled(live)) return done;
        if (attempt > 1) await options.sleep(options.startPauseMs, ctx.signal);
        if (ctx.signal?.aborted) return fail(ctx, `interrupted while starting ${kindWord(g)} ${g.id}`);
        ctx.report(`starting ${kindWord(g)} ${g.id} (attempt ${attempt}/${options.startAttempts})`);
        // `pct start` / `qm start` exit non-zero when the guest did not come up (they are not among the commands
        // that exit 0 on a failed task), so success needs no second status read.
        const res = await exec(ctx, argv);
        if (res.ok) return done;
        last = res.error;
      }
      return last
        ? fail(ctx, `gave up after ${options.startAttempts} attempts: ${last.message}`, last.command)
        : done;
    },
  });
}
