// The VM lifecycle as one table: define, configure, firewall, cloudinit, start, agent, volumes, feature:<name>,
// snapshot, template.
// Feature scripts run inside the VM (vm-features.ts), never on the host.
// A VM template never gets a snapshot (Proxmox refuses to template a VM with snapshots); its clones are linked.
import path from 'node:path';
import type { VmGuest } from '../config/model.js';
import type { GuestConfigView } from '../host/host.js';
import type { LiveGuest } from '../host/live.js';
import type { Result } from '../result.js';
import { ok } from '../result.js';
import { done, exec, fail, verifyFailed } from './act.js';
import { firewallStep } from './firewall.js';
import {
  destroyArgvs,
  destroyGuest,
  existenceCheck,
  liveOf,
  notRunning,
  snapshotStep,
  startStep,
} from './guest-common.js';
import type { StepOptions } from './options.js';
import { stepOptions } from './options.js';
import { formatSize } from '../host/props.js';
import type { ActionContext, Argv, ExecutableStep, LiveCheck, StepContext, StepFailure } from './step.js';
import { defineStep } from './step.js';
import { ensureStoragePool, volumeListed } from './storage.js';
import {
  vmConfigAfterDefine,
  vmCreateArgv,
  vmDefineInputs,
  vmDefineNeeds,
  vmDefinition,
} from './vm-define.js';
import { TEMP_DIR_PLACEHOLDER } from '../host/temp-files.js';
import type { VmDefinition } from './vm-define.js';
import { bootDiskKey, diffVm, vmDisk } from './vm-desired.js';
import { rootfsStorage } from './lxc-define.js';
import { officialImage, sumFor } from './cloud-images.js';
import { cloudInitStep } from './vm-cloudinit.js';
import { vmFeatureStep } from './vm-features.js';
import { vmVolumesStep } from './vm-volumes.js';
import { cloudInitDone, guestExecArgv, guestRun } from './vm-guest.js';
import { afterStart, pendingNote, pendingOnly } from './pending.js';

type Ctx = StepContext<VmGuest>;
type Act = ActionContext<VmGuest>;

const id = (ctx: Ctx): string => String(ctx.target.id);
/** With the run state: one `qm status` on the node. Only where running/stopped matters. */
const readVm = (ctx: Act): Promise<LiveGuest | undefined> => ctx.host.readGuest('vm', ctx.target.id);
/** Without the run state: no process on the node (the config file). Existence, config, template flag. */
const readVmConfig = (ctx: Act): Promise<GuestConfigView | undefined> =>
  ctx.host.readGuestConfig('vm', ctx.target.id);

// ---- define ---------------------------------------------------------------------------------------------------

function defineDrift(g: VmGuest, live: LiveGuest): LiveCheck {
  const key = bootDiskKey(live.config);
  const storage = key ? rootfsStorage(live.config?.[key]) : undefined;
  if (storage === undefined || storage === g.config.storage_pool) return { ok: true };
  const detail = `VM ${g.id}'s ${key ?? 'disk'} is on ${storage}, the config says ${g.config.storage_pool}`;
  const diffs = [{ field: 'storage_pool', actual: storage, desired: g.config.storage_pool }];
  return { ok: false, reason: 'drift', detail, diffs, needsReplace: detail };
}

/**
 * The cloud image must be in `local:import/`. When it is not, it is downloaded there: from template_image_url, or,
 * for an official image named by its file name, from its publisher, checked against the published checksum.
 */
async function ensureImage(
  ctx: Act,
  def: Extract<VmDefinition, { how: 'create' }>,
): Promise<Result<void, StepFailure>> {
  const image = def.image;
  if ('path' in image) return done;
  const list: Argv = ['pvesm', 'list', 'local', '--content', 'import'];
  const have = await volumeListed(ctx, list, image.volid);
  if (!have.ok) return have;
  if (have.value) return done;
  const source = await imageSource(ctx);
  if (!source.ok) return source;
  ctx.report(`downloading ${source.value.url} to local:import/${image.file}`);
  const argv = [
    'pvesh',
    'create',
    `/nodes/${ctx.host.node}/storage/local/download-url`,
    '--content',
    'import',
    '--filename',
    image.file,
    '--url',
    source.value.url,
    ...(source.value.checksum === undefined
      ? []
      : ['--checksum', source.value.checksum.value, '--checksum-algorithm', source.value.checksum.algorithm]),
  ];
  const dl = await exec(ctx, argv, { timeoutMs: 60 * 60 * 1000 });
  if (!dl.ok) return dl;
  // pvesh exits 0 when its task failed (a checksum mismatch too): look again.
  const after = await volumeListed(ctx, list, image.volid);
  if (!after.ok) return after;
  return after.value
    ? done
    : verifyFailed(ctx, argv, `cloud image ${image.volid} is not there after the download`, dl.value);
}

interface ImageSource {
  url: string;
  checksum?: { value: string; algorithm: string };
}

/** Where the image comes from, and the checksum its publisher lists for it (read with the node's wget). */
async function imageSource(ctx: Act): Promise<Result<ImageSource, StepFailure>> {
  const name = ctx.target.config.template_image ?? '';
  const official = officialImage(path.basename(name));
  const url = ctx.target.config.template_image_url ?? official?.url;
  if (url === undefined)
    return fail(
      ctx,
      `cloud image ${name} is not on the host, is not an official image Phoenix knows by name, and VM ${ctx.target.id} has no template_image_url to download it from`,
    );
  if (official === undefined || url !== official.url) return ok({ url });
  const sums = await exec(ctx, ['wget', '-q', '-O', '-', official.sumsUrl], { timeoutMs: 2 * 60 * 1000 });
  if (!sums.ok)
    return fail(
      ctx,
      `cannot read the published checksums of ${url} (${official.sumsUrl}): ${sums.error.message}`,
    );
  const value = sumFor(sums.value.stdout, path.basename(name));
  if (value === undefined)
    return fail(ctx, `${official.sumsUrl} lists no checksum for ${path.basename(name)}`);
  return ok({ url, checksum: { value, algorithm: official.algorithm } });
}

/** After `qm create` imports the image, the disk is the image's size: grow it to disk_size_gb. */
async function growDisk(ctx: Act, live: GuestConfigView | undefined): Promise<Result<void, StepFailure>> {
  const disk = vmDisk(ctx.target, live?.config);
  if (!disk || disk.actual >= disk.desired) return done;
  const argv = ['qm', 'disk', 'resize', id(ctx), disk.key, `${ctx.target.config.disk_size_gb}G`];
  ctx.report(`growing ${disk.key} from ${formatSize(disk.actual)} to ${formatSize(disk.desired)}`);
  const res = await exec(ctx, argv);
  if (!res.ok) return res;
  // qm disk resize exits 0 even when its task failed: read the size back.
  const after = vmDisk(ctx.target, (await readVmConfig(ctx))?.config);
  if (!after || after.actual < after.desired) {
    return verifyFailed(
      ctx,
      argv,
      `${disk.key} is ${after ? formatSize(after.actual) : 'unknown'} after resize`,
      res.value,
    );
  }
  return done;
}

async function defineVm(ctx: Act, def: VmDefinition): Promise<Result<void, StepFailure>> {
  if (def.how === 'invalid') return fail(ctx, def.message);
  if (def.how === 'clone') {
    ctx.report(`cloning VM ${def.source} to ${ctx.target.id}`);
    const res = await exec(ctx, def.argv);
    if (!res.ok) return res;
    return (await readVmConfig(ctx))
      ? done
      : verifyFailed(ctx, def.argv, `VM ${ctx.target.id} does not exist after clone`, res.value);
  }
  const pool = await ensureStoragePool(ctx, ctx.target.config.storage_pool);
  if (!pool.ok) return pool;
  const image = await ensureImage(ctx, def);
  if (!image.ok) return image;
  ctx.report(`creating VM ${ctx.target.id}`);
  // The SSH key file lives in a private folder for this one command (TEMP_DIR_PLACEHOLDER until then).
  const res = await ctx.host.withFiles(def.files, (dir) =>
    exec(ctx, vmCreateArgv(ctx.target, def.image, dir)),
  );
  if (!res.ok) return res;
  const live = await readVmConfig(ctx);
  if (!live)
    return verifyFailed(ctx, def.argv, `VM ${ctx.target.id} does not exist after qm create`, res.value);
  return growDisk(ctx, live);
}

function vmDefine(): ExecutableStep<VmGuest> {
  return defineStep<VmGuest>({
    kind: 'define',
    inputs: (ctx) => vmDefineInputs(ctx.target, ctx.fleet),
    check(ctx) {
      const live = liveOf(ctx);
      return existenceCheck(ctx.target, live) ?? (live ? defineDrift(ctx.target, live) : { ok: true });
    },
    preview(ctx) {
      if (liveOf(ctx)) return [];
      const destroy = ctx.replacing ? destroyArgvs(ctx.target, ctx.replacing) : [];
      const def = vmDefinition(ctx.target, ctx.fleet, ctx.live, TEMP_DIR_PLACEHOLDER);
      if (def.how === 'invalid') return destroy;
      if (def.how === 'clone') return [...destroy, def.argv];
      return [
        ...destroy,
        def.argv,
        ['qm', 'disk', 'resize', id(ctx), 'scsi0', `${ctx.target.config.disk_size_gb}G`],
      ];
    },
    // Only when it creates: an existing VM is left alone unless --replace re-creates it.
    needs: (ctx, replacing) =>
      liveOf(ctx) && !replacing ? [] : vmDefineNeeds(ctx.target, ctx.fleet, ctx.live, TEMP_DIR_PLACEHOLDER),
    predict: (ctx) =>
      liveOf(ctx) ?? {
        id: ctx.target.id,
        kind: 'vm',
        status: 'stopped',
        template: false,
        snapshots: [],
        config: vmConfigAfterDefine(ctx.target, ctx.fleet, ctx.live, TEMP_DIR_PLACEHOLDER),
      },
    async run(ctx) {
      const live = await readVmConfig(ctx);
      if (live && !ctx.flags.replace) return done;
      if (live) {
        const gone = await destroyGuest(ctx);
        if (!gone.ok) return gone;
      }
      return defineVm(ctx, vmDefinition(ctx.target, ctx.fleet, ctx.live, TEMP_DIR_PLACEHOLDER));
    },
  });
}

// ---- configure ------------------------------------------------------------------------------------------------

function configureStep(): ExecutableStep<VmGuest> {
  const commands = (ctx: Ctx, live: Pick<LiveGuest, 'config'>): Argv[] => {
    const changes = diffVm(ctx.target, live, TEMP_DIR_PLACEHOLDER);
    const argvs: Argv[] = changes.setArgs.length > 0 ? [['qm', 'set', id(ctx), ...changes.setArgs]] : [];
    if (changes.grow) argvs.push(['qm', 'disk', 'resize', id(ctx), changes.grow.key, changes.grow.size]);
    return argvs;
  };
  return defineStep<VmGuest>({
    kind: 'configure',
    inputs(ctx) {
      const c = ctx.target.config;
      return {
        name: c.name,
        memory_mb: c.memory_mb,
        cores: c.cores,
        start_at_boot: c.start_at_boot,
        boot_order: c.boot_order,
        boot_delay: c.boot_delay,
        shutdown_timeout: c.shutdown_timeout,
        network_bridge: c.network_bridge,
        network_config: c.network_config,
        user_config: c.user_config,
        disk_size_gb: c.disk_size_gb,
      };
    },
    check(ctx) {
      const live = liveOf(ctx);
      const bad = existenceCheck(ctx.target, live);
      if (bad) return bad;
      if (live?.config === undefined) return { ok: 'unknown' };
      const changes = diffVm(ctx.target, afterStart(live), TEMP_DIR_PLACEHOLDER);
      if (changes.diffs.length === 0) {
        const pending = pendingOnly(diffVm(ctx.target, live, TEMP_DIR_PLACEHOLDER).diffs, changes.diffs);
        return pending.length > 0 ? { ok: true, pending } : { ok: true };
      }
      const detail = changes.shrink ?? `${changes.diffs.length} setting(s) differ`;
      return changes.shrink
        ? { ok: false, reason: 'drift', detail, diffs: changes.diffs, needsReplace: changes.shrink }
        : { ok: false, reason: 'drift', detail, diffs: changes.diffs };
    },
    // A VM that does not exist yet is previewed against what `define` will create.
    preview: (ctx) =>
      commands(
        ctx,
        afterStart(
          liveOf(ctx) ?? {
            config: vmConfigAfterDefine(ctx.target, ctx.fleet, ctx.live, TEMP_DIR_PLACEHOLDER),
          },
        ),
      ),
    async run(ctx) {
      const live = await readVmConfig(ctx);
      if (!live) return fail(ctx, `VM ${ctx.target.id} does not exist`);
      const changes = diffVm(ctx.target, afterStart(live), TEMP_DIR_PLACEHOLDER);
      if (changes.shrink) return fail(ctx, changes.shrink);
      const argv = changes.setArgs.length > 0 ? ['qm', 'set', id(ctx), ...changes.setArgs] : undefined;
      if (argv) {
        ctx.report(`setting ${changes.diffs.map((d) => d.field).join(', ')}`);
        // The files the options name (an SSH key) exist only in a private folder, for this one command.
        const res = await ctx.host.withFiles(changes.files, (dir) =>
          exec(ctx, ['qm', 'set', id(ctx), ...diffVm(ctx.target, afterStart(live), dir).setArgs]),
        );
        if (!res.ok) return res;
      }
      const grown = await growDisk(ctx, argv ? await readVmConfig(ctx) : live);
      if (!grown.ok) return grown;
      if (!argv) return done;
      const after = await readVmConfig(ctx);
      const left = after ? diffVm(ctx.target, afterStart(after), TEMP_DIR_PLACEHOLDER).diffs : changes.diffs;
      if (left.length === 0) {
        const pending = after ? pendingOnly(diffVm(ctx.target, after, TEMP_DIR_PLACEHOLDER).diffs, left) : [];
        if (pending.length > 0) ctx.report(pendingNote(ctx.target, pending));
        return done;
      }
      const fields = left
        .map((d) => `${d.field} is ${String(d.actual)}, wanted ${String(d.desired)}`)
        .join('; ');
      return verifyFailed(ctx, argv, `VM ${ctx.target.id} settings did not take: ${fields}`);
    },
  });
}

// ---- agent ----------------------------------------------------------------------------------------------------

function agentStep(options: StepOptions): ExecutableStep<VmGuest> {
  const ping = (ctx: Ctx): Argv => ['qm', 'guest', 'cmd', id(ctx), 'ping'];
  return defineStep<VmGuest>({
    kind: 'agent',
    inputs: () => ({}),
    check(ctx) {
      const live = liveOf(ctx);
      const bad = existenceCheck(ctx.target, live);
      if (bad) return bad;
      if (live?.template) return { ok: true };
      if (live?.status !== 'running') return notRunning(ctx.target, live);
      return { ok: 'unknown' }; // whether the agent answers is not read before planning
    },
    preview: (ctx) => (liveOf(ctx)?.template ? [] : [ping(ctx)]),
    async run(ctx) {
      const live = await readVmConfig(ctx); // the ping answers for the run state
      if (!live) return fail(ctx, `VM ${ctx.target.id} does not exist`);
      if (live.template) return done;
      const attempts = Math.max(1, Math.ceil(options.agentTimeoutMs / Math.max(1, options.agentPollMs)));
      const started = Date.now();
      let last = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) {
          if (Date.now() - started >= options.agentTimeoutMs) break;
          await options.sleep(options.agentPollMs, ctx.signal);
        }
        // An interrupted run stops waiting at once (it used to poll on for the whole timeout).
        if (ctx.signal?.aborted)
          return fail(ctx, `interrupted while waiting for the agent of VM ${ctx.target.id}`);
        const res = await ctx.host.run(ping(ctx), { timeoutMs: 30_000 });
        if (res.ok) return done;
        last = res.error.message;
        if (attempt === 1) ctx.report(`waiting for the QEMU guest agent of VM ${ctx.target.id}`);
      }
      return fail(
        ctx,
        `the QEMU guest agent of VM ${ctx.target.id} did not answer within ${options.agentTimeoutMs / 1000} s: ${last}`,
      );
    },
  });
}

// ---- template -------------------------------------------------------------------------------------------------

const CLEANUP: string[][] = [
  ['cloud-init', 'clean'],
  ['truncate', '-s', '0', '/etc/machine-id'],
];

function templateStep(options: StepOptions): ExecutableStep<VmGuest> {
  const shutdown = (ctx: Ctx): Argv => [
    'qm',
    'shutdown',
    id(ctx),
    '--timeout',
    String(options.shutdownTimeoutS),
  ];
  const toTemplate = (ctx: Ctx): Argv => ['qm', 'template', id(ctx)];
  return defineStep<VmGuest>({
    kind: 'template',
    instances: (g) => (g.config.is_template ? ['template'] : []),
    inputs: (ctx) => ({ is_template: ctx.target.config.is_template }),
    cascades: true,
    check(ctx) {
      const live = liveOf(ctx);
      const bad = existenceCheck(ctx.target, live);
      if (bad) return bad;
      if (live?.template) return { ok: true };
      const diffs = [{ field: 'template', actual: false, desired: true }];
      return { ok: false, reason: 'drift', detail: `VM ${ctx.target.id} is not a template yet`, diffs };
    },
    preview(ctx) {
      if (liveOf(ctx)?.template) return [];
      if (ctx.target.copyOf !== undefined) return [toTemplate(ctx)];
      return [
        guestExecArgv(ctx.target.id, ['cloud-init', 'status', '--wait'], { timeoutS: 1800 }),
        ...CLEANUP.map((c) => guestExecArgv(ctx.target.id, c)),
        shutdown(ctx),
        toTemplate(ctx),
      ];
    },
    async run(ctx) {
      const conf = await readVmConfig(ctx);
      if (!conf) return fail(ctx, `VM ${ctx.target.id} does not exist`);
      if (conf.template) return done;
      // A per-node copy is a stopped full clone of a template, cleaned already: it only becomes one again.
      if (ctx.target.copyOf !== undefined) return makeTemplate(ctx);
      if ((await readVm(ctx))?.status !== 'running') {
        return fail(
          ctx,
          `VM ${ctx.target.id} must be running to clean its cloud-init state before it becomes a template`,
        );
      }
      // Its first boot's cloud-init (the agent, its features) must be over before its state is cleaned.
      const booted = await cloudInitDone(ctx);
      if (!booted.ok) return booted;
      for (const command of CLEANUP) {
        const res = await guestRun(ctx, command);
        if (!res.ok) return res;
      }
      ctx.report(`shutting down VM ${ctx.target.id}`);
      const down = await ctx.host.run(shutdown(ctx));
      if (!down.ok) {
        ctx.report(`qm shutdown failed (${down.error.message}); stopping`);
        const stop = await exec(ctx, ['qm', 'stop', id(ctx)]);
        if (!stop.ok) return stop;
      }
      if ((await readVm(ctx))?.status !== 'stopped')
        return verifyFailed(ctx, shutdown(ctx), `VM ${ctx.target.id} did not stop`);
      return makeTemplate(ctx);
    },
  });

  async function makeTemplate(ctx: ActionContext<VmGuest>): Promise<Result<void, StepFailure>> {
    const argv = toTemplate(ctx);
    const res = await exec(ctx, argv);
    if (!res.ok) return res;
    // qm template exits 0 even when its task failed: the config must say template: 1.
    if (!(await readVmConfig(ctx))?.template)
      return verifyFailed(ctx, argv, `VM ${ctx.target.id} is not a template after qm template`, res.value);
    return done;
  }
}

/** The VM table, in execution order. */
export function makeVmSteps(overrides: Partial<StepOptions> = {}): ExecutableStep<VmGuest>[] {
  const options = stepOptions(overrides);
  return [
    vmDefine(),
    configureStep(),
    firewallStep<VmGuest>(),
    cloudInitStep,
    startStep<VmGuest>(options),
    agentStep(options),
    vmVolumesStep,
    vmFeatureStep,
    snapshotStep<VmGuest>((g) => !g.config.is_template),
    templateStep(options),
  ];
}

export const vmSteps: ExecutableStep<VmGuest>[] = makeVmSteps();
