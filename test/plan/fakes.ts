// A tiny fleet, fake step tables shaped like the documented ones, a fake live host, and a fake "run".
import type { StepRecord } from '../../src/cache/cache.js';
import type { Fleet, Guest, HostSetupStep, LxcGuest, VmGuest } from '../../src/config/model.js';
import { lxcGuest, vmGuest, hypervisor } from '../../src/config/schema.js';
import type { StepTables } from '../../src/graph/types.js';
import type { LiveGuest, LiveState } from '../../src/host/live.js';
import { recordFor } from '../../src/plan/record.js';
import type { Plan } from '../../src/plan/types.js';
import type { LiveCheck, StepContext, StepSpec } from '../../src/tasks/step.js';

const origin = { file: 'test.json', path: [] };

export function lxc(id: number, config: Record<string, unknown> = {}): LxcGuest {
  const c = lxcGuest.parse({ name: `ct${id}`, template: 'local:vztmpl/debian.tar.zst', ...config });
  return {
    id,
    kind: 'lxc',
    origin,
    config: c,
    cloneFrom: c.clone_from_ctid,
    dependencies: c.dependencies,
    bootOrder: c.boot_order,
    scripts: {
      features: c.features.map((f) => ({ name: f, path: `/scripts/lxc/${f}.sh` })),
      ...(c.application_script !== undefined && { application: `/scripts/engine/${c.application_script}` }),
      tests: {},
    },
  };
}

export function vm(id: number, config: Record<string, unknown> = {}): VmGuest {
  const c = vmGuest.parse({ vmid: id, name: `vm${id}`, template_image: 'debian.qcow2', ...config });
  return {
    id,
    kind: 'vm',
    origin,
    config: c,
    cloneFrom: c.clone_from_vmid,
    dependencies: c.dependencies,
    bootOrder: c.boot_order,
    scripts: { features: c.features.map((f) => ({ name: f, path: `/scripts/vm/${f}.sh` })), tests: {} },
  };
}

export function fleetOf(guests: Guest[], hostScripts: string[] = []): Fleet {
  const hostSteps: HostSetupStep[] = hostScripts.map((s) => ({
    script: s,
    name: s,
    path: `/scripts/host/${s}.sh`,
  }));
  return {
    files: ['test.json'],
    root: '/cfg',
    hypervisorConfigFile: '/cfg/hv.json',
    hypervisor: hypervisor.parse({}),
    hostSteps,
    hypervisorTestRunner: '/scripts/hv-test.sh',
    guestTestRunner: '/scripts/test.sh',
    guests: new Map(guests.map((g) => [g.id, g])),
  };
}

/** Script contents by path; the hash function tests hand to the planner. */
export function scriptStore(): { contents: Map<string, string>; hash: (p: string) => string } {
  const contents = new Map<string, string>();
  return { contents, hash: (p) => `h(${contents.get(p) ?? 'v1'})` };
}

// ---- fake step tables ----------------------------------------------------------------------------------------

type Ctx<T extends Guest> = StepContext<T>;

function spec<T extends Guest>(
  kind: string,
  cascades: boolean,
  parts: Partial<Pick<StepSpec<T>, 'instances' | 'scripts' | 'check'>> & {
    inputs: (ctx: Ctx<T>) => Record<string, unknown>;
  },
): StepSpec<T> {
  return {
    kind,
    cascades,
    instances: parts.instances ?? (() => [kind]),
    inputs: parts.inputs,
    scripts: parts.scripts ?? (() => []),
    check: parts.check ?? (() => ({ ok: 'unknown' })),
    preview: (ctx) => [['fake', kind, String(ctx.target.id), ctx.name]],
  };
}

const exists = (ctx: Ctx<Guest>): LiveCheck =>
  ctx.liveGuest
    ? { ok: true }
    : { ok: false, reason: 'missing', detail: `guest ${ctx.target.id} does not exist` };

function configCheck(ctx: Ctx<Guest>, desired: Record<string, string>): LiveCheck {
  if (!ctx.liveGuest) return { ok: false, reason: 'missing', detail: 'guest does not exist' };
  const config = ctx.liveGuest.config;
  if (!config) return { ok: 'unknown' };
  const diffs = Object.entries(desired)
    .filter(([k, v]) => config[k] !== v)
    .map(([field, desiredValue]) => ({ field, actual: config[field], desired: desiredValue }));
  return diffs.length === 0 ? { ok: true } : { ok: false, reason: 'drift', detail: 'config differs', diffs };
}

function sizeCheck(ctx: Ctx<Guest>, field: string, desired: number): LiveCheck {
  const actual = Number(ctx.liveGuest?.config?.['size'] ?? NaN);
  if (Number.isNaN(actual)) return { ok: 'unknown' };
  return actual === desired
    ? { ok: true }
    : { ok: false, reason: 'drift', detail: 'disk size', diffs: [{ field, actual, desired }] };
}

const started = (ctx: Ctx<Guest>): LiveCheck =>
  ctx.liveGuest?.status === 'running'
    ? { ok: true }
    : {
        ok: false,
        reason: 'drift',
        detail: 'not running',
        diffs: [{ field: 'status', actual: ctx.liveGuest?.status, desired: 'running' }],
      };

function snapshotCheck(ctx: Ctx<Guest>, name: string | undefined): LiveCheck {
  return ctx.liveGuest?.snapshots?.includes(name ?? '')
    ? { ok: true }
    : { ok: false, reason: 'missing', detail: `no snapshot ${name}` };
}

function featureSpec<T extends Guest>(): StepSpec<T> {
  const feature = (ctx: Ctx<T>) => ctx.name.slice('feature:'.length);
  return spec<T>('feature', true, {
    instances: (g) => g.scripts.features.map((f) => `feature:${f.name}`),
    inputs: (ctx) => ({ feature: feature(ctx) }),
    scripts: (ctx) => ctx.target.scripts.features.filter((f) => f.name === feature(ctx)).map((f) => f.path),
  });
}

export const lxcTable: StepSpec<LxcGuest>[] = [
  spec<LxcGuest>('define', false, {
    inputs: ({ target: { config: c }, fleet }) => ({
      template: c.template,
      clone_from_ctid: c.clone_from_ctid,
      clone_snapshot:
        c.clone_from_ctid === undefined
          ? undefined
          : guestConfig(fleet, c.clone_from_ctid).template_snapshot_name,
      storage_pool: c.storage_pool,
      unprivileged: c.unprivileged,
      name: c.name,
    }),
    check: exists,
  }),
  spec<LxcGuest>('configure', false, {
    inputs: ({ target: { config: c } }) => ({
      memory_mb: c.memory_mb,
      cores: c.cores,
      network_config: c.network_config,
    }),
    check: (ctx) =>
      configCheck(ctx, {
        memory: String(ctx.target.config.memory_mb),
        cores: String(ctx.target.config.cores),
      }),
  }),
  spec<LxcGuest>('disk', false, {
    inputs: ({ target: { config: c } }) => ({ storage_size_gb: c.storage_size_gb }),
    check: (ctx) => sizeCheck(ctx, 'storage_size_gb', ctx.target.config.storage_size_gb),
  }),
  spec<LxcGuest>('start', false, { inputs: () => ({}), check: started }),
  featureSpec<LxcGuest>(),
  spec<LxcGuest>('app', true, {
    instances: (g) => (g.config.application_script ? ['app'] : []),
    inputs: ({ target: { config: c } }) => ({ application_script: c.application_script }),
    scripts: ({ target }) => (target.scripts.application ? [target.scripts.application] : []),
  }),
  spec<LxcGuest>('health', true, {
    instances: (g) => (g.config.health_check ? ['health'] : []),
    inputs: ({ target: { config: c } }) => ({ health_check: c.health_check }),
  }),
  spec<LxcGuest>('snapshot', true, {
    instances: (g) => (g.config.template_snapshot_name ? ['snapshot'] : []),
    inputs: ({ target: { config: c } }) => ({ template_snapshot_name: c.template_snapshot_name }),
    check: (ctx) => snapshotCheck(ctx, ctx.target.config.template_snapshot_name),
  }),
];

export const vmTable: StepSpec<VmGuest>[] = [
  spec<VmGuest>('define', false, {
    inputs: ({ target: { config: c } }) => ({
      template_image: c.clone_from_vmid === undefined ? c.template_image : undefined,
      clone_from_vmid: c.clone_from_vmid,
      storage_pool: c.storage_pool,
      name: c.name,
    }),
    check: exists,
  }),
  spec<VmGuest>('configure', false, {
    inputs: ({ target: { config: c } }) => ({
      memory_mb: c.memory_mb,
      cores: c.cores,
      disk_size_gb: c.disk_size_gb,
    }),
    check: (ctx) =>
      configCheck(ctx, {
        memory: String(ctx.target.config.memory_mb),
        cores: String(ctx.target.config.cores),
      }),
  }),
  spec<VmGuest>('start', false, { inputs: () => ({}), check: started }),
  spec<VmGuest>('agent', false, { inputs: () => ({}) }),
  featureSpec<VmGuest>(),
  spec<VmGuest>('snapshot', true, {
    instances: (g) => (g.config.template_snapshot_name ? ['snapshot'] : []),
    inputs: ({ target: { config: c } }) => ({ template_snapshot_name: c.template_snapshot_name }),
    check: (ctx) => snapshotCheck(ctx, ctx.target.config.template_snapshot_name),
  }),
  spec<VmGuest>('template', false, {
    instances: (g) => (g.config.is_template ? ['template'] : []),
    inputs: () => ({ is_template: true }),
    check: (ctx) =>
      ctx.liveGuest?.template ? { ok: true } : { ok: false, reason: 'missing', detail: 'not a template' },
  }),
];

export const hostTable: StepSpec<HostSetupStep>[] = [
  {
    kind: 'host-script',
    cascades: false,
    instances: (s) => [s.name],
    inputs: (ctx) => ({ script: ctx.target.script }),
    scripts: (ctx) => [ctx.target.path],
    check: () => ({ ok: 'unknown' }),
    preview: (ctx) => [[ctx.target.path]],
  },
];

export const tables: StepTables = { lxc: lxcTable, vm: vmTable, host: hostTable };

function guestConfig(fleet: Fleet, id: number): { template_snapshot_name?: string } {
  return fleet.guests.get(id)?.config ?? {};
}

// ---- fake host and run --------------------------------------------------------------------------------------

export function emptyLive(): LiveState {
  return { node: 'pve', guests: new Map() };
}

let incarnations = 0;

/** Makes the fake host look like the step ran: the checks above pass afterwards. */
export function applyStep(fleet: Fleet, live: LiveState, address: string): void {
  const [head, ...rest] = address.split(':');
  if (head === 'host') return;
  const guest = fleet.guests.get(Number(head))!;
  const name = rest.join(':');
  const g: LiveGuest | undefined = live.guests.get(guest.id);
  if (name === 'define') {
    live.guests.set(guest.id, {
      id: guest.id,
      kind: guest.kind,
      status: 'stopped',
      template: false,
      config: {},
      snapshots: [],
      incarnation: `inc-${++incarnations}`,
    });
    return;
  }
  if (!g) throw new Error(`fake host: ${address} on a guest that does not exist`);
  g.config ??= {};
  if (name === 'configure')
    Object.assign(g.config, { memory: String(guest.config.memory_mb), cores: String(guest.config.cores) });
  if (name === 'disk' && guest.kind === 'lxc') g.config['size'] = String(guest.config.storage_size_gb);
  if (name === 'start') g.status = 'running';
  if (name === 'snapshot') g.snapshots = [...(g.snapshots ?? []), guest.config.template_snapshot_name!];
  if (name === 'template') g.template = true;
}

/** Runs every stale step of the plan against the fake host, recording each success like the runner does. */
export function runPlan(plan: Plan, fleet: Fleet, live: LiveState, cache: Map<string, StepRecord>): string[] {
  const ran: string[] = [];
  for (const step of plan.steps) {
    if (step.status !== 'stale') continue;
    applyStep(fleet, live, step.address);
    const incarnation = step.target === 'host' ? undefined : live.guests.get(step.target)?.incarnation;
    const sourceIncarnation =
      step.source && live.guests.get(Number(step.source.address.split(':')[0]))?.incarnation;
    cache.set(
      step.address,
      recordFor(step, {
        at: '2025-01-01T00:00:00Z',
        durationMs: 1,
        ...(incarnation && { incarnation }),
        ...(sourceIncarnation && { sourceIncarnation }),
      }),
    );
    ran.push(step.address);
  }
  return ran;
}
