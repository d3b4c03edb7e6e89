// The LXC container lifecycle as one table: define, configure, apparmor, disk, start, feature:<name>, portainer,
// app, health, snapshot (the original's state machine, in its order).
// Each entry names its inputs, checks the live state, previews its commands and acts check-then-act.
import type { LxcGuest } from '../config/model.js';
import type { GuestConfigView } from '../host/host.js';
import type { LiveGuest } from '../host/live.js';
import type { Result } from '../result.js';
import { done, exec, fail, verifyFailed } from './act.js';
import { appStep } from './lxc-app.js';
import { apparmorStep } from './lxc-apparmor.js';
import { portainerStep } from './lxc-portainer.js';
import {
  lxcConfigAfterDefine,
  lxcDefineInputs,
  lxcDefineNeeds,
  lxcDefinition,
  rootfsStorage,
  sourceConfig,
} from './lxc-define.js';
import type { LxcDefinition } from './lxc-define.js';
import { desiredLxc, diffLxc } from './lxc-desired.js';
import type { ManagedKey } from './lxc-desired.js';
import { healthStep } from './lxc-health.js';
import { firewallStep } from './firewall.js';
import { idmapStep } from './lxc-idmap-step.js';
import { mountsStep } from './lxc-mounts.js';
import type { StepOptions } from './options.js';
import { stepOptions } from './options.js';
import { GIB, diskSizeBytes, formatSize } from '../host/props.js';
import { applyRawEdit } from './raw-lxc.js';
import { afterStart, pendingNote, pendingOnly } from './pending.js';
import { ensureStoragePool, readStorageConfig, volumeListed } from './storage.js';
import type { OsTemplate } from './lxc-define.js';
import path from 'node:path';
import { ok } from '../result.js';
import {
  destroyArgvs,
  destroyGuest,
  existenceCheck,
  featureStep,
  liveOf,
  preConfiguredStep,
  snapshotStep,
  startStep,
} from './guest-common.js';
import type { ActionContext, Argv, ExecutableStep, LiveCheck, StepContext, StepFailure } from './step.js';
import { defineStep } from './step.js';

type Ctx = StepContext<LxcGuest>;
type Act = ActionContext<LxcGuest>;

const id = (ctx: Ctx): string => String(ctx.target.id);

/** Without the run state: no process on the node (the config file). Existence, config, snapshots. */
async function readCtConfig(ctx: Act): Promise<GuestConfigView | undefined> {
  return ctx.host.readGuestConfig('lxc', ctx.target.id);
}

// ---- define ---------------------------------------------------------------------------------------------------

/** Live facts that cannot change in place: the root disk's storage, and (for created CTs) the privilege mode. */
function defineDrift(g: LxcGuest, live: LiveGuest): LiveCheck {
  const diffs = [];
  const storage = rootfsStorage(live.config?.rootfs);
  if (storage !== undefined && storage !== g.config.storage_pool) {
    diffs.push({ field: 'storage_pool', actual: storage, desired: g.config.storage_pool });
  }
  if (live.config !== undefined && g.config.clone_from_ctid === undefined) {
    const actual = live.config.unprivileged === '1';
    if (actual !== g.config.unprivileged)
      diffs.push({ field: 'unprivileged', actual, desired: g.config.unprivileged });
  }
  if (diffs.length === 0) return { ok: true };
  const detail = `CT ${g.id} differs in ${diffs.map((d) => d.field).join(', ')}, which only re-creating it can change`;
  return { ok: false, reason: 'drift', detail, diffs, needsReplace: detail };
}

/**
 * A template given as a path in a storage's template folder (`/fastData/shared-iso/template/cache/x.tar.zst`) is
 * that storage's `vztmpl` volume: it is fetched with pveam into that storage, as the original fetched it into
 * its ISO storage. A path outside every storage is used as it is.
 */
async function templateVolume(
  ctx: Act,
  t: OsTemplate,
): Promise<Result<Exclude<OsTemplate, { path: string }> | undefined, StepFailure>> {
  if (!('path' in t)) return ok(t);
  const storages = await readStorageConfig(ctx);
  if (!storages.ok) return storages;
  const file = path.posix.basename(t.path);
  const st = storages.value.find(
    (s) => s.path !== undefined && path.posix.join(s.path, 'template', 'cache', file) === t.path,
  );
  if (st === undefined) {
    ctx.report(`template ${t.path} is in no storage's template folder: using the file as it is`);
    return ok(undefined);
  }
  return ok({ volid: `${st.storage}:vztmpl/${file}`, storage: st.storage, file });
}

/** Makes sure the OS template is on its storage: `pveam download` exits 0 even when it fails, so list again. */
async function ensureOsTemplate(
  ctx: Act,
  def: Extract<LxcDefinition, { how: 'create' }>,
): Promise<Result<void, StepFailure>> {
  const volume = await templateVolume(ctx, def.template);
  if (!volume.ok) return volume;
  const t = volume.value;
  if (t === undefined) return done;
  const list: Argv = ['pveam', 'list', t.storage];
  const have = await volumeListed(ctx, list, t.volid);
  if (!have.ok) return have;
  if (have.value) return done;
  ctx.report(`downloading OS template ${t.file} to ${t.storage}`);
  const argv = ['pveam', 'download', t.storage, t.file];
  const dl = await exec(ctx, argv);
  if (!dl.ok) return dl;
  const after = await volumeListed(ctx, list, t.volid);
  if (!after.ok) return after;
  if (!after.value)
    return verifyFailed(
      ctx,
      argv,
      `OS template ${t.volid} is not on ${t.storage} after pveam download`,
      dl.value,
    );
  return done;
}

async function defineCt(ctx: Act, def: LxcDefinition): Promise<Result<void, StepFailure>> {
  if (def.how === 'invalid') return fail(ctx, def.message);
  if (def.how === 'create') {
    const pool = await ensureStoragePool(ctx, ctx.target.config.storage_pool);
    if (!pool.ok) return pool;
    const template = await ensureOsTemplate(ctx, def);
    if (!template.ok) return template;
    ctx.report(`creating CT ${ctx.target.id}`);
  } else {
    ctx.report(`cloning CT ${def.source} to ${ctx.target.id}`);
  }
  const res = await exec(ctx, def.argv);
  if (!res.ok) return res;
  const live = await readCtConfig(ctx);
  if (!live)
    return verifyFailed(ctx, def.argv, `CT ${ctx.target.id} does not exist after ${def.how}`, res.value);
  return def.how === 'clone' ? settleCloneNet(ctx, live) : done;
}

/** net0 as configured: the one setting `configure` manages that is part of the container's identity. */
function net0Key(g: LxcGuest): ManagedKey {
  const key = desiredLxc(g).keys.find((k) => k.key === 'net0');
  if (!key) throw new Error('desiredLxc always manages net0');
  return key;
}

/**
 * A clone carries its source's address and a random MAC. Its own network identity (address, pinned MAC) is set
 * here rather than in `configure`, so the identity recorded with `define` is the one the guest keeps.
 */
async function settleCloneNet(ctx: Act, live: GuestConfigView): Promise<Result<void, StepFailure>> {
  const key = net0Key(ctx.target);
  const actual = live.config?.net0;
  if (key.same(actual)) return done;
  const argv = ['pct', 'set', id(ctx), '--net0', key.valueFor(actual)];
  const res = await exec(ctx, argv);
  if (!res.ok) return res;
  if (key.same((await readCtConfig(ctx))?.config?.net0)) return done;
  return verifyFailed(ctx, argv, `CT ${ctx.target.id} net0 did not take`, res.value);
}

const define = defineStep<LxcGuest>({
  kind: 'define',
  inputs: (ctx) => lxcDefineInputs(ctx.target, ctx.fleet),
  check(ctx) {
    const live = liveOf(ctx);
    return existenceCheck(ctx.target, live) ?? (live ? defineDrift(ctx.target, live) : { ok: true });
  },
  preview(ctx) {
    if (liveOf(ctx)) return [];
    const destroy = ctx.replacing ? destroyArgvs(ctx.target, ctx.replacing) : [];
    const def = lxcDefinition(ctx.target, ctx.fleet, ctx.live);
    if (def.how !== 'clone') return def.how === 'invalid' ? destroy : [...destroy, def.argv];
    // The clone's own MAC is only known once it exists: the preview shows net0 as configured.
    const net0 = net0Key(ctx.target);
    const sourceNet0 = sourceConfig(def.source, ctx.fleet, ctx.live).net0;
    return net0.same(sourceNet0)
      ? [...destroy, def.argv]
      : [...destroy, def.argv, ['pct', 'set', id(ctx), '--net0', net0.valueFor(undefined)]];
  },
  // Only when it creates: an existing container is left alone unless --replace re-creates it.
  needs: (ctx, replacing) =>
    liveOf(ctx) && !replacing ? [] : lxcDefineNeeds(ctx.target, ctx.fleet, ctx.live),
  predict: (ctx) => ({
    id: ctx.target.id,
    kind: 'lxc',
    status: 'stopped',
    template: false,
    snapshots: [],
    ...liveOrDefined(ctx),
  }),
  // `pct clone` holds `lock: disk` on its source throughout: clones of one source queue in the runner instead
  // of failing on "CT is locked (disk)" and retrying with backoff while holding a concurrency slot.
  locks: (ctx) => (ctx.target.cloneFrom === undefined ? [] : [`guest:${ctx.target.cloneFrom}`]),
  async run(ctx) {
    const live = await readCtConfig(ctx);
    if (live && !ctx.flags.replace) return done;
    if (live) {
      const gone = await destroyGuest(ctx);
      if (!gone.ok) return gone;
    }
    return defineCt(ctx, lxcDefinition(ctx.target, ctx.fleet, ctx.live));
  },
});

/** The live container, or the one `define` will produce when it does not exist yet (for previews). */
function liveOrDefined(ctx: Ctx): Pick<LiveGuest, 'config' | 'rawLxc'> {
  const live = liveOf(ctx);
  if (live) return afterStart(live);
  const source = ctx.target.cloneFrom;
  const rawLxc = source === undefined ? [] : (ctx.live.guests.get(source)?.rawLxc ?? []);
  return { config: lxcConfigAfterDefine(ctx.target, ctx.fleet, ctx.live), rawLxc };
}

// ---- configure ------------------------------------------------------------------------------------------------

function setArgv(ctx: Ctx, setArgs: string[]): Argv[] {
  return setArgs.length === 0 ? [] : [['pct', 'set', id(ctx), ...setArgs]];
}

const configure = defineStep<LxcGuest>({
  kind: 'configure',
  inputs(ctx) {
    const c = ctx.target.config;
    return {
      name: c.name,
      memory_mb: c.memory_mb,
      swap_mb: c.swap_mb,
      cores: c.cores,
      start_at_boot: c.start_at_boot,
      boot_order: c.boot_order,
      boot_delay: c.boot_delay,
      shutdown_timeout: c.shutdown_timeout,
      pct_options: c.pct_options,
      network_config: c.network_config,
      mac_address: c.mac_address,
      apparmor_profile: c.apparmor_profile,
      lxc_options: c.lxc_options,
      volumes: c.volumes,
      zfs_volumes: c.zfs_volumes,
    };
  },
  check(ctx) {
    const live = liveOf(ctx);
    const bad = existenceCheck(ctx.target, live);
    if (bad) return bad;
    if (live?.config === undefined) return { ok: 'unknown' };
    const desired = desiredLxc(ctx.target);
    const { diffs } = diffLxc(desired, afterStart(live));
    if (diffs.length > 0)
      return { ok: false, reason: 'drift', detail: `${diffs.length} setting(s) differ`, diffs };
    const pending = pendingOnly(diffLxc(desired, live).diffs, diffs);
    return pending.length > 0 ? { ok: true, pending } : { ok: true };
  },
  // Raw lxc.* lines are a file edit, not a command: they show in the check's diffs, not here.
  preview: (ctx) => setArgv(ctx, diffLxc(desiredLxc(ctx.target), liveOrDefined(ctx)).setArgs),
  async run(ctx) {
    const live = await readCtConfig(ctx);
    if (!live) return fail(ctx, `CT ${ctx.target.id} does not exist`);
    const desired = desiredLxc(ctx.target);
    const changes = diffLxc(desired, afterStart(live));
    const [argv] = setArgv(ctx, changes.setArgs);
    if (argv) {
      ctx.report(`setting ${changes.diffs.map((d) => d.field).join(', ')}`);
      const res = await exec(ctx, argv);
      if (!res.ok) return res;
    }
    const { raw } = changes;
    if (raw) {
      ctx.report(`writing raw lxc lines to the config of CT ${ctx.target.id}`);
      const wrote = await ctx.host.editGuestConfig('lxc', ctx.target.id, (text) => applyRawEdit(text, raw));
      if (!wrote.ok) return fail(ctx, wrote.error.message);
    }
    if (!argv && !changes.raw) return done;
    const after = await readCtConfig(ctx);
    const left = after ? diffLxc(desired, afterStart(after)).diffs : changes.diffs;
    if (left.length === 0) {
      const pending = after ? pendingOnly(diffLxc(desired, after).diffs, left) : [];
      if (pending.length > 0) ctx.report(pendingNote(ctx.target, pending));
      return done;
    }
    const fields = left
      .map((d) => `${d.field} is ${String(d.actual)}, wanted ${String(d.desired)}`)
      .join('; ');
    return verifyFailed(
      ctx,
      argv ?? ['edit', `CT ${ctx.target.id} config`],
      `CT ${ctx.target.id} settings did not take: ${fields}`,
    );
  },
});

// ---- disk -----------------------------------------------------------------------------------------------------

function rootfsBytes(live: Pick<LiveGuest, 'config'> | undefined): number | undefined {
  return diskSizeBytes(live?.config?.rootfs);
}

const resizeArgv = (ctx: Ctx): Argv => [
  'pct',
  'resize',
  id(ctx),
  'rootfs',
  `${ctx.target.config.storage_size_gb}G`,
];

const disk = defineStep<LxcGuest>({
  kind: 'disk',
  inputs: (ctx) => ({ storage_size_gb: ctx.target.config.storage_size_gb }),
  check(ctx) {
    const live = liveOf(ctx);
    const bad = existenceCheck(ctx.target, live);
    if (bad) return bad;
    const actual = rootfsBytes(live);
    if (actual === undefined) return { ok: 'unknown' };
    const want = ctx.target.config.storage_size_gb * GIB;
    if (actual === want) return { ok: true };
    const diffs = [{ field: 'rootfs size', actual: formatSize(actual), desired: formatSize(want) }];
    if (actual < want)
      return { ok: false, reason: 'drift', detail: 'root disk is smaller than storage_size_gb', diffs };
    const detail = `root disk is ${formatSize(actual)}, larger than storage_size_gb ${formatSize(want)}: disks are never shrunk`;
    return { ok: false, reason: 'drift', detail, diffs, needsReplace: detail };
  },
  preview(ctx) {
    const actual = rootfsBytes(liveOrDefined(ctx));
    return actual !== undefined && actual >= ctx.target.config.storage_size_gb * GIB ? [] : [resizeArgv(ctx)];
  },
  async run(ctx) {
    const want = ctx.target.config.storage_size_gb * GIB;
    const actual = rootfsBytes(await readCtConfig(ctx));
    if (actual === undefined) return fail(ctx, `CT ${ctx.target.id} has no readable rootfs size`);
    if (actual >= want) {
      if (actual === want) return done;
      return fail(
        ctx,
        `root disk is ${formatSize(actual)}, larger than storage_size_gb (${formatSize(want)}); never shrunk`,
      );
    }
    const argv = resizeArgv(ctx);
    ctx.report(`growing rootfs from ${formatSize(actual)} to ${formatSize(want)}`);
    const res = await exec(ctx, argv);
    if (!res.ok) return res;
    const after = rootfsBytes(await readCtConfig(ctx));
    if (after === undefined || after < want) {
      return verifyFailed(
        ctx,
        argv,
        `rootfs is ${after === undefined ? 'unknown' : formatSize(after)} after resize`,
        res.value,
      );
    }
    return done;
  },
});

/** The container table, in execution order. */
export function makeLxcSteps(overrides: Partial<StepOptions> = {}): ExecutableStep<LxcGuest>[] {
  const options = stepOptions(overrides);
  return [
    define,
    configure,
    firewallStep<LxcGuest>(),
    idmapStep,
    apparmorStep,
    disk,
    mountsStep,
    startStep(options),
    preConfiguredStep,
    featureStep<LxcGuest>(),
    portainerStep,
    appStep(),
    healthStep(options),
    snapshotStep<LxcGuest>(() => true),
  ];
}

export const lxcSteps: ExecutableStep<LxcGuest>[] = makeLxcSteps();
