// Every step kind against the simulator through the real backend: each argv the steps emit must be accepted,
// a second run must issue no state-changing command, and injected faults must surface as step failures.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet, Guest, LxcGuest, VmGuest } from '../../src/config/model.js';
import { createHostExec } from '../../src/host/exec.js';
import { scriptPaths } from '../../src/config/script-files.js';
import { SIMULATOR_SCRIPT_STAND_IN } from '../../src/engine/paths.js';
import type { HostExec } from '../../src/host/host.js';
import type { LiveState } from '../../src/host/live.js';
import { makeLxcSteps } from '../../src/tasks/lxc-steps.js';
import type { ExecutableStep } from '../../src/tasks/step.js';
import { makeVmSteps } from '../../src/tasks/vm-steps.js';
import type { CallRecord, SimConfig } from '../../simulator/src/testing.js';
import { createSimDir, readCalls, readSimState, simBinDir, simEnv } from '../../simulator/src/testing.js';
import { isReadOnly } from './fake-host.js';
import { fleetOf, lxc, vm } from './fixtures.js';

const DEBIAN = 'debian-12-standard_12.12-1_amd64.tar.zst';
const IMAGE_URL = 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img';

beforeAll(() => {
  if (!existsSync(path.join(simBinDir(), '..', '..', 'dist', 'simulator', 'src', 'main.js'))) {
    throw new Error('dist/simulator is missing: run `npm run build` before these tests');
  }
});

const cleanup: string[] = [];
afterEach(() => {
  for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scriptDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'phoenix-scripts-'));
  cleanup.push(dir);
  for (const name of ['feature_docker.sh', 'app_950.sh', 'vmfeature_docker.sh']) {
    writeFileSync(path.join(dir, name), '#!/bin/sh\necho "$0 $*"\n');
    chmodSync(path.join(dir, name), 0o755);
  }
  writeFileSync(path.join(dir, 'phoenix_lxc_configs.json'), '{"lxc_configs":{}}\n');
  return dir;
}

interface Sim {
  dir: string;
  /** Progress lines the steps reported. */
  lines: string[];
  host: HostExec;
  fleet: Fleet;
  calls(): CallRecord[];
  /** Runs the steps of one guest in table order; returns the first failure message. */
  converge(g: Guest): Promise<string | undefined>;
  runStep(g: Guest, name: string): Promise<string | undefined>;
}

async function sim(
  config: Partial<SimConfig> = {},
  fleetPatch: (s: string) => Guest[] = defaultGuests,
): Promise<Sim> {
  const dir = await createSimDir({ config });
  cleanup.push(dir);
  const scripts = scriptDir();
  const fleet = fleetOf(fleetPatch(scripts));
  const host = createHostExec({
    node: 'pve',
    pveRoot: dir,
    logFile: path.join(dir, 'run.log'),
    env: simEnv(dir),
    // As a --sim session: the fleet's own (test) scripts run, anything else goes to the simulator's stand-in.
    launch: {
      interpreters: new Map(),
      forbidden: new Set(),
      sim: { standIn: SIMULATOR_SCRIPT_STAND_IN, runnable: new Set(scriptPaths(fleet)) },
    },
  });
  const opts = { sleep: async (): Promise<void> => {}, agentPollMs: 1000, agentTimeoutMs: 5000 };
  const tables = { lxc: makeLxcSteps(opts), vm: makeVmSteps(opts) };
  // Actions re-read what they act on, so the pre-planning read is left out here (each read is a process).
  const live: LiveState = { node: 'pve', guests: new Map() };
  const lines: string[] = [];
  const runOne = async (g: Guest, spec: ExecutableStep<Guest>, name: string): Promise<string | undefined> => {
    const ctx = {
      fleet,
      target: g,
      name,
      live,
      host,
      report: () => {},
      flags: { replace: false, wipeDisks: false },
      pveRoot: dir,
    };
    const res = await spec.run(ctx);
    return res.ok ? undefined : `${res.error.address}: ${res.error.message}`;
  };
  const specs = (g: Guest): ExecutableStep<Guest>[] => (g.kind === 'lxc' ? tables.lxc : tables.vm);
  return {
    dir,
    lines,
    host,
    fleet,
    calls: () => readCalls(dir),
    async converge(g) {
      for (const spec of specs(g)) {
        for (const name of spec.instances(g, fleet)) {
          const failure = await runOne(g, spec, name);
          if (failure) return failure;
        }
      }
      return undefined;
    },
    async runStep(g, name) {
      const spec = specs(g).find((s) => s.instances(g, fleet).includes(name));
      if (!spec) throw new Error(`no step ${name}`);
      return runOne(g, spec, name);
    },
  };
}

function defaultGuests(scripts: string): Guest[] {
  const withScripts = (g: LxcGuest): LxcGuest => ({
    ...g,
    origin: { file: path.join(scripts, 'phoenix_lxc_configs.json'), path: ['lxc_configs', String(g.id)] },
    scripts: {
      ...g.scripts,
      features: g.config.features.map((f) => ({ name: f, path: path.join(scripts, `feature_${f}.sh`) })),
      ...(g.config.application_script
        ? { application: path.join(scripts, g.config.application_script) }
        : {}),
    },
  });
  const base = withScripts(
    lxc(900, {
      template: DEBIAN,
      memory_mb: 1024,
      features: ['docker'],
      template_snapshot_name: 'base-snapshot',
      network_config: { ip: '10.0.0.90/24', gw: '10.0.0.1' },
    }),
  );
  const app = withScripts(
    lxc(950, {
      clone_from_ctid: 900,
      memory_mb: 2048,
      cores: 2,
      storage_size_gb: 12,
      start_at_boot: true,
      boot_order: 2,
      boot_delay: 5,
      mac_address: '52:54:00:12:34:56',
      network_config: { ip: '10.0.0.95/24', gw: '10.0.0.1' },
      pct_options: ['nesting=1', 'keyctl=1'],
      apparmor_profile: 'unconfined',
      lxc_options: ['lxc.cgroup2.devices.allow: c 195:* rwm'],
      features: ['docker'],
      application_script: 'app_950.sh',
      health_check: { command: 'curl -fsS http://localhost:8000/health', retries: 2, interval: 1 },
    }),
  );
  const tmpl: VmGuest = vm(9000, {
    is_template: true,
    template_image: 'noble-server-cloudimg-amd64.img',
    template_image_url: IMAGE_URL,
    disk_size_gb: 16,
    network_config: { ip: '10.0.0.200/24', gw: '10.0.0.1', nameservers: '10.0.0.1 8.8.8.8' },
    user_config: {
      username: 'phoenix',
      ssh_public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhoenix phoenix@host',
    },
  });
  const child0 = vm(1001, {
    clone_from_vmid: 9000,
    memory_mb: 4096,
    cores: 2,
    disk_size_gb: 24,
    features: ['docker'],
    template_snapshot_name: 'ready',
    network_config: { ip: '10.0.0.201/24', gw: '10.0.0.1' },
    volumes: [{ type: 'nfs', server: '10.0.0.13', path: '/srv/nfs/1001', mount_point: '/data' }],
  });
  const child: VmGuest = {
    ...child0,
    scripts: {
      ...child0.scripts,
      features: [{ name: 'docker', path: path.join(scripts, 'vmfeature_docker.sh') }],
    },
  };
  return [base, app, tmpl, child];
}

const mutating = (calls: CallRecord[]): string[] =>
  calls
    .map((c) => [c.tool, ...c.argv])
    .filter((a) => !isReadOnly(a))
    .map((a) => a.join(' '));
/** Calls the simulator refused; probing a guest that does not exist yet (`pct status` exit 2) is expected. */
const rejected = (calls: CallRecord[]): string[] =>
  calls
    .filter((c) => c.exit !== 0 && !(c.argv[0] === 'status' && c.exit === 2))
    .map((c) => `${c.tool} ${c.argv.join(' ')} -> ${c.exit}`);

describe('steps against the simulator', () => {
  it('builds every guest kind; every argv is accepted; a second run changes nothing', async () => {
    const s = await sim();
    const guest = (id: number): Guest => s.fleet.guests.get(id)!;
    // Sources first, then their clones; the container and VM chains run side by side like the runner would.
    expect(await Promise.all([s.converge(guest(900)), s.converge(guest(9000))])).toEqual([
      undefined,
      undefined,
    ]);
    expect(await Promise.all([s.converge(guest(950)), s.converge(guest(1001))])).toEqual([
      undefined,
      undefined,
    ]);
    expect(rejected(s.calls())).toEqual([]);

    const ct = await s.host.readGuest('lxc', 950);
    expect(ct?.status).toBe('running');
    expect(ct?.config).toMatchObject({
      memory: '2048',
      cores: '2',
      onboot: '1',
      rootfs: expect.stringContaining('size=12G') as unknown,
    });
    expect(ct?.config?.net0).toContain('hwaddr=52:54:00:12:34:56');
    expect(ct?.rawLxc).toEqual(
      expect.arrayContaining([
        ['lxc.apparmor.profile', 'unconfined'],
        ['lxc.cgroup2.devices.allow', 'c 195:* rwm'],
      ]),
    );
    expect((await s.host.readGuest('lxc', 900))?.snapshots).toEqual(['base-snapshot', 'final-form']);
    expect((await s.host.readGuest('lxc', 950))?.snapshots).toEqual(['final-form']);
    expect((await s.host.readGuest('vm', 9000))?.template).toBe(true);
    const vmChild = await s.host.readGuest('vm', 1001);
    expect(vmChild).toMatchObject({ status: 'running', snapshots: ['final-form', 'ready'] });
    expect(vmChild?.config?.scsi0).toContain('size=24G');
    // Its NFS share: an fstab line in Phoenix's block, and mounted (the simulator's guest-mounts.ts).
    const inside = readSimState(s.dir).guests[1001];
    expect(inside?.fstab).toContain(
      '# BEGIN phoenix volumes\n10.0.0.13:/srv/nfs/1001 /data nfs defaults,auto,nofail 0 0\n# END phoenix volumes\n',
    );
    expect(inside?.nfsMounts).toEqual([{ source: '10.0.0.13:/srv/nfs/1001', target: '/data' }]);

    const before = s.calls().length;
    s.lines.length = 0;
    const again = async (g: Guest): Promise<(string | undefined)[]> => {
      const names = ['define', 'configure', g.kind === 'lxc' ? 'disk' : 'agent', 'start'];
      names.push(g.id === 9000 ? 'template' : 'snapshot');
      if (g.id === 1001) names.push('volumes');
      const out = [];
      for (const name of names) out.push(await s.runStep(g, name));
      return out;
    };
    const second = await Promise.all([...s.fleet.guests.values()].map(again));
    expect(second.flat().filter((f) => f !== undefined)).toEqual([]);
    expect(mutating(s.calls().slice(before))).toEqual([]);
    expect(s.lines).toEqual([]); // nothing acted, not even the raw lxc.* file edit (which is no command)
  });

  it('configure, disk and snapshot act and verify from the config file: no status call at all', async () => {
    const s = await sim();
    const base = s.fleet.guests.get(900)! as LxcGuest;
    expect(await s.runStep(base, 'define')).toBeUndefined();
    const grown = {
      ...base,
      config: { ...base.config, memory_mb: 1536, storage_size_gb: base.config.storage_size_gb + 4 },
    } as LxcGuest;
    s.fleet.guests.set(900, grown);
    const since = (from: number): string[] =>
      s
        .calls()
        .slice(from)
        .map((c) => `${c.tool} ${c.argv.join(' ')}`);

    const acting = s.calls().length;
    for (const name of ['configure', 'disk', 'snapshot'])
      expect(await s.runStep(grown, name)).toBeUndefined();
    const acted = since(acting);
    expect(acted.filter((c) => / status /.test(c))).toEqual([]);
    expect(acted.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'pct set',
      'pct resize',
      'pct snapshot',
      'pct snapshot',
    ]);
    expect(acted).toContain(`pct resize 900 rootfs ${grown.config.storage_size_gb}G`);

    // Converged, the same three steps cost no process at all; `start` asks for the run state once and trusts
    // the exit status of `pct start` (no read-back).
    const again = s.calls().length;
    for (const name of ['configure', 'disk', 'snapshot'])
      expect(await s.runStep(grown, name)).toBeUndefined();
    expect(since(again)).toEqual([]);
    expect(await s.runStep(grown, 'start')).toBeUndefined();
    expect(since(again)).toEqual(['pct status 900', 'pct start 900']);
  });

  it('a missing storage pool fails before anything is created', async () => {
    const s = await sim({}, (dir) => [
      {
        ...defaultGuests(dir)[0]!,
        config: { ...defaultGuests(dir)[0]!.config, storage_pool: 'tank' },
      } as LxcGuest,
    ]);
    expect(await s.runStep(s.fleet.guests.get(900)!, 'define')).toMatch(/storage pool 'tank'.*storage_pool/);
    expect(mutating(s.calls())).toEqual([]);
  });

  it('a template download that fails inside its task (exit 0) is caught by the read-back', async () => {
    const s = await sim({
      faults: [
        { match: '^pveam download', action: 'fail', phase: 'task', stderr: 'download failed: 404 Not Found' },
      ],
    });
    expect(await s.runStep(s.fleet.guests.get(900)!, 'define')).toMatch(/not on local after pveam download/);
    expect(mutating(s.calls()).some((c) => c.startsWith('pct create'))).toBe(false);
  });

  it('a resize that fails inside its task is caught by the read-back', async () => {
    const s = await sim({
      faults: [{ match: '^pct resize', action: 'fail', phase: 'task', stderr: 'lvextend failed' }],
    });
    const base = s.fleet.guests.get(900)!;
    expect(await s.runStep(base, 'define')).toBeUndefined();
    const grow = { ...base, config: { ...base.config, storage_size_gb: 20 } } as LxcGuest;
    s.fleet.guests.set(900, grow);
    expect(await s.runStep(grow, 'disk')).toMatch(/after resize/);
  });

  it('start survives two failures and health gives up after its retries', async () => {
    const s = await sim({
      faults: [
        { match: '^pct start 900', times: 2, action: 'fail', stderr: "startup for container '900' failed" },
      ],
      exec: [{ match: 'curl', exit: 7, stderr: 'connection refused' }],
    });
    const base = s.fleet.guests.get(900)!;
    expect(await s.runStep(base, 'define')).toBeUndefined();
    expect(await s.runStep(base, 'start')).toBeUndefined();
    expect(mutating(s.calls()).filter((c) => c === 'pct start 900')).toHaveLength(3);
    const app = s.fleet.guests.get(950)!;
    expect(await s.runStep(base, 'snapshot')).toBeUndefined();
    for (const name of ['define', 'start']) expect(await s.runStep(app, name)).toBeUndefined();
    expect(await s.runStep(app, 'health')).toMatch(/health check failed after 2 attempts/);
  });

  it('an NFS share the VM cannot mount fails the volumes step, naming the command', async () => {
    const share = { type: 'nfs', server: '10.0.0.13', path: '/srv/nfs/1002', mount_point: '/data' };
    const one = vm(1002, {
      template_image_url: IMAGE_URL,
      template_image: 'noble-server-cloudimg-amd64.img',
    });
    const s = await sim(
      { exec: [{ match: '^mount /data$', exit: 32, stderr: 'mount.nfs: Connection refused' }] },
      () => [vm(1002, { ...one.config, volumes: [share] })],
    );
    const g = s.fleet.guests.get(1002)!;
    for (const name of ['define', 'cloudinit', 'start', 'agent'])
      expect(await s.runStep(g, name)).toBeUndefined();
    expect(await s.runStep(g, 'volumes')).toBe('1002:volumes: mount /data in VM 1002 failed: exit code 32');
    expect(readSimState(s.dir).guests[1002]?.nfsMounts).toBeUndefined();
  });
});
