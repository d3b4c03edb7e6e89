// Steps and helpers shared by containers and VMs: the live guest, the passthrough config keys scripts read, the
// `feature:<name>` step (a host script with the guest ID) and the `snapshot` step.
import path from 'node:path';
import type { Fleet, Guest, LxcGuest, VmGuest } from '../config/model.js';
import { LXC_GUEST_KEYS, VM_GUEST_KEYS } from '../config/schema-keys.js';
import { globalsReadBy } from '../config/script-files.js';
import type { LiveGuest } from '../host/live.js';
import type { Result } from '../result.js';
import type { StepOptions } from './options.js';
import { done, exec, fail, verifyFailed } from './act.js';
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

/** The snapshot name the step takes. */
function snapName(g: Guest): string {
  const name = g.config.template_snapshot_name;
  if (name === undefined) throw new Error(`guest ${g.id} has no template_snapshot_name`); // instances() guards
  return name;
}

/**
 * `snapshot`: takes `template_snapshot_name` when it is missing, and re-takes it (delete, take) when the build it
 * holds changed (ctx.redo), so clones made from now on get the new build. Clones made earlier are full copies that
 * keep the old build: the planner shows them as built from an older source. A snapshot that linked clones sit on
 * is never deleted (the planner refuses).
 */
export function snapshotStep<T extends LxcGuest | VmGuest>(applies: (g: T) => boolean): ExecutableStep<T> {
  const take = (g: Guest): Argv => [tool(g), 'snapshot', String(g.id), snapName(g)];
  const drop = (g: Guest): Argv => [tool(g), 'delsnapshot', String(g.id), snapName(g)];
  return defineStep<T>({
    kind: 'snapshot',
    instances: (g) => (applies(g) ? ['snapshot'] : []),
    inputs: (ctx) => ({ template_snapshot_name: ctx.target.config.template_snapshot_name }),
    cascades: true,
    check(ctx) {
      const live = liveOf(ctx);
      const bad = existenceCheck(ctx.target, live);
      if (bad) return bad;
      if (live?.snapshots === undefined) return { ok: 'unknown' };
      if (live.snapshots.includes(snapName(ctx.target))) return { ok: true };
      return { ok: false, reason: 'missing', detail: `snapshot '${snapName(ctx.target)}' does not exist` };
    },
    preview(ctx) {
      if (!liveOf(ctx)?.snapshots?.includes(snapName(ctx.target))) return [take(ctx.target)];
      return ctx.redo ? [drop(ctx.target), take(ctx.target)] : [];
    },
    async run(ctx) {
      const g = ctx.target;
      const name = snapName(g);
      const before = await ctx.host.readGuestConfig(g.kind, g.id);
      if (!before) return fail(ctx, `${kindWord(g)} ${g.id} does not exist`);
      if (before.snapshots?.includes(name)) {
        // Still there and its build did not change (adopted, or the record was lost): keep it.
        if (!ctx.redo) return done;
        ctx.report(`re-taking snapshot ${name}: the build it holds changed`);
        const del = await exec(ctx, drop(g));
        if (!del.ok) return del;
      }
      const argv = take(g);
      ctx.report(`taking snapshot ${name}`);
      const res = await exec(ctx, argv);
      if (!res.ok) return res;
      const after = await ctx.host.readGuestConfig(g.kind, g.id);
      if (!after?.snapshots?.includes(name))
        return verifyFailed(ctx, argv, `snapshot '${name}' is not there after taking it`, res.value);
      return done;
    },
  });
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
