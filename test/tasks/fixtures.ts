// Guests, fleets and step contexts for the step tests, built through the real schema so defaults apply.
import { tempDir } from '../support/temp-dirs.js';
import type { Fleet, Guest, HostSetupStep, LxcGuest, VmGuest } from '../../src/config/model.js';
import { hypervisor, lxcGuest, vmGuest } from '../../src/config/schema.js';
import type { LiveGuest, LiveState } from '../../src/host/live.js';
import type { ActionContext, ExecutableStep, StepContext } from '../../src/tasks/step.js';
import { FakeHost } from './fake-host.js';
import { buildStepGraph } from '../../src/graph/build.js';
import { identify } from '../../src/plan/assess.js';
import { secretMasker } from '../../src/config/secrets.js';
import { stepTables } from '../../src/tasks/index.js';

export const ROOT = '/opt/phoenix';

export function lxc(
  id: number,
  config: Record<string, unknown>,
  scripts: Partial<Guest['scripts']> = {},
): LxcGuest {
  const parsed = lxcGuest.parse({ name: `ct${id}`, ...config });
  return {
    id,
    kind: 'lxc',
    origin: { file: `${ROOT}/etc/phoenix_lxc_configs.json`, path: ['lxc_configs', String(id)] },
    scripts: {
      features: parsed.features.map((f) => ({
        name: f,
        path: `${ROOT}/bin/lxc_setup/phoenix_hypervisor_feature_install_${f}.sh`,
      })),
      tests: {},
      ...(parsed.application_script ? { application: `${ROOT}/bin/${parsed.application_script}` } : {}),
      ...scripts,
    },
    ...(parsed.clone_from_ctid !== undefined ? { cloneFrom: parsed.clone_from_ctid } : {}),
    dependencies: parsed.dependencies,
    bootOrder: parsed.boot_order,
    config: parsed,
  };
}

export function vm(id: number, config: Record<string, unknown>): VmGuest {
  const parsed = vmGuest.parse({ vmid: id, name: `vm${id}`, ...config });
  return {
    id,
    kind: 'vm',
    origin: { file: `${ROOT}/etc/phoenix_vm_configs.json`, path: ['vms', 0] },
    scripts: {
      features: parsed.features.map((f) => ({
        name: f,
        path: `${ROOT}/bin/vm_features/feature_install_${f}.sh`,
      })),
      tests: {},
    },
    ...(parsed.clone_from_vmid !== undefined ? { cloneFrom: parsed.clone_from_vmid } : {}),
    dependencies: parsed.dependencies,
    bootOrder: parsed.boot_order,
    config: parsed,
  };
}

export function fleetOf(guests: Guest[], hostSteps: HostSetupStep[] = []): Fleet {
  return {
    files: [],
    root: ROOT,
    hypervisorConfigFile: `${ROOT}/etc/phoenix_hypervisor_config.json`,
    hypervisor: hypervisor.parse({}),
    hostSteps,
    hypervisorTestRunner: `${ROOT}/bin/tests/hypervisor_test_runner.sh`,
    guestTestRunner: `${ROOT}/bin/tests/test_runner.sh`,
    guests: new Map(guests.map((g) => [g.id, g])),
  };
}

export function liveState(guests: LiveGuest[] = []): LiveState {
  return { node: 'pve', guests: new Map(guests.map((g) => [g.id, g])) };
}

export function stepCtx<T extends Guest>(
  fleet: Fleet,
  target: T,
  name: string,
  live = liveState(),
): StepContext<T> {
  const liveGuest = live.guests.get(target.id);
  return liveGuest ? { fleet, target, name, live, liveGuest } : { fleet, target, name, live };
}

export function tempRoot(): string {
  return tempDir('phoenix-steps-');
}

export interface Harness<T extends Guest> {
  host: FakeHost;
  lines: string[];
  ctx(name: string, flags?: Partial<ActionContext<T>['flags']>): ActionContext<T>;
  /** Runs a step by name against the fake host, reading live state fresh like the runner. */
  run(
    step: ExecutableStep<T>,
    name?: string,
    flags?: Partial<ActionContext<T>['flags']>,
  ): ReturnType<ExecutableStep<T>['run']>;
}

export function harness<T extends Guest>(
  fleet: Fleet,
  target: T,
  host = new FakeHost(tempRoot()),
): Harness<T> {
  const lines: string[] = [];
  const ctx = (name: string, flags: Partial<ActionContext<T>['flags']> = {}): ActionContext<T> => {
    const live = liveState([...host.guests.values()].map((g) => structuredClone(g)));
    return {
      ...stepCtx(fleet, target, name, live),
      host,
      report: (l) => lines.push(l),
      flags: { replace: false, wipeDisks: false, ...flags },
    };
  };
  return { host, lines, ctx, run: (step, name = step.kind, flags) => step.run(ctx(name, flags)) };
}

/** Instant sleeps: tests never wait. */
export const fast = {
  sleep: async (): Promise<void> => {},
  startPauseMs: 5000,
  agentPollMs: 1000,
  agentTimeoutMs: 5000,
};

/** Every step's fingerprint in a fleet, with the real step tables (scripts hash as `h`). */
export function fingerprintsOf(fleet: Fleet): Record<string, string> {
  const graph = buildStepGraph(fleet, stepTables);
  if (!graph.ok) throw new Error(graph.error.message);
  const fps = new Map<string, string>();
  const env = {
    fleet,
    live: liveState(),
    scriptHash: () => 'h',
    maskSecrets: secretMasker(Buffer.alloc(32, 7)),
  };
  for (const a of graph.value.getAttribute('order'))
    fps.set(a, identify(graph.value, a, env, fps).fingerprint);
  return Object.fromEntries(fps);
}
