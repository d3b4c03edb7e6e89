// The step tables as the graph and planner see them: instances, the inputs each step fingerprints, cascades,
// live checks and the exact preview argv.
import { describe, expect, it } from 'vitest';
import type { Guest, HostSetupStep, LxcGuest, VmGuest } from '../../src/config/model.js';
import type { LiveGuest } from '../../src/host/live.js';
import { makeStepTables } from '../../src/tasks/index.js';
import { defineStep, type StepSpec } from '../../src/tasks/step.js';
import { fast, fleetOf, liveState, lxc, ROOT, stepCtx, vm } from './fixtures.js';

const tables = makeStepTables(fast);

const source = lxc(900, {
  template: 'debian-12-standard_12.12-1_amd64.tar.zst',
  template_snapshot_name: 'base-snapshot',
});
const ct = lxc(950, {
  template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
  memory_mb: 2048,
  cores: 2,
  storage_size_gb: 16,
  network_config: { ip: '10.0.0.50/24', gw: '10.0.0.1' },
  features: ['docker', 'nvidia'],
  application_script: 'phoenix_hypervisor_lxc_950.sh',
  health_check: { command: 'curl -fsS http://localhost:8000/health', retries: 3, interval: 5 },
  template_snapshot_name: 'ready',
  vllm_model: 'qwen',
});
const clone = lxc(951, { clone_from_ctid: 900, storage_pool: 'fastpool' });
const tmplVm = vm(9000, {
  is_template: true,
  template_image: 'noble-server-cloudimg-amd64.img',
  template_snapshot_name: 'never',
});
const vmClone = vm(1001, { clone_from_vmid: 9000, features: ['docker'], template_snapshot_name: 'ready' });
const zfs: HostSetupStep = {
  script: 'hypervisor_feature_setup_zfs.sh',
  name: 'setup_zfs',
  path: `${ROOT}/bin/hypervisor_setup/hypervisor_feature_setup_zfs.sh`,
};
const fleet = fleetOf([source, ct, clone, tmplVm, vmClone], [zfs]);

function names<T extends Guest | HostSetupStep>(specs: StepSpec<T>[], target: T): string[] {
  return specs.flatMap((s) => s.instances(target, fleet));
}

function inputsByStep<T extends Guest>(specs: StepSpec<T>[], target: T): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    for (const name of spec.instances(target, fleet))
      out[name] = JSON.stringify(spec.inputs(stepCtx(fleet, target, name)));
  }
  return out;
}

function changedSteps<T extends Guest>(specs: StepSpec<T>[], before: T, after: T): string[] {
  const a = inputsByStep(specs, before);
  const b = inputsByStep(specs, after);
  return Object.keys(a).filter((k) => a[k] !== b[k]);
}

const withConfig = <T extends LxcGuest | VmGuest>(g: T, patch: Record<string, unknown>): T => ({
  ...g,
  config: { ...g.config, ...patch },
});

describe('instances', () => {
  it('lists a container chain in order, one step per feature', () => {
    expect(names(tables.lxc, ct)).toEqual([
      'define',
      'configure',
      'disk',
      'start',
      'feature:docker',
      'feature:nvidia',
      'app',
      'health',
      'snapshot',
    ]);
    expect(names(tables.lxc, clone)).toEqual(['define', 'configure', 'disk', 'start', 'snapshot']);
    // enable_lifecycle_snapshots: false drops the step of a guest that is no clone source.
    const plain = withConfig(clone, { enable_lifecycle_snapshots: false });
    expect(names(tables.lxc, plain)).toEqual(['define', 'configure', 'disk', 'start']);
  });

  it('gives a VM template a template step and never a snapshot', () => {
    expect(names(tables.vm, tmplVm)).toEqual([
      'define',
      'configure',
      'cloudinit',
      'start',
      'agent',
      'template',
    ]);
    expect(names(tables.vm, vmClone)).toEqual([
      'define',
      'configure',
      'cloudinit',
      'start',
      'agent',
      'feature:docker',
      'snapshot',
    ]);
  });

  it('names host steps without the host: prefix', () => {
    expect(names(tables.host, zfs)).toEqual(['setup_zfs']);
  });
});

describe('inputs (the fingerprint table)', () => {
  it('memory_mb changes only configure', () => {
    expect(changedSteps(tables.lxc, ct, withConfig(ct, { memory_mb: 4096 }))).toEqual(['configure']);
    expect(changedSteps(tables.vm, vmClone, withConfig(vmClone, { memory_mb: 8192 }))).toEqual(['configure']);
  });

  it('storage_size_gb changes only disk', () => {
    expect(changedSteps(tables.lxc, ct, withConfig(ct, { storage_size_gb: 32 }))).toEqual(['disk']);
  });

  it('a passthrough key the scripts read changes the features and the app', () => {
    expect(changedSteps(tables.lxc, ct, withConfig(ct, { vllm_model: 'llama' }))).toEqual([
      'feature:docker',
      'feature:nvidia',
      'app',
    ]);
  });

  it('the OS template and the storage pool are define inputs', () => {
    expect(changedSteps(tables.lxc, ct, withConfig(ct, { template: 'local:vztmpl/other.tar.zst' }))).toEqual([
      'define',
    ]);
    expect(changedSteps(tables.lxc, ct, withConfig(ct, { storage_pool: 'tank' }))).toEqual(['define']);
  });

  it('the health check changes only health, the snapshot name only snapshot', () => {
    expect(
      changedSteps(
        tables.lxc,
        ct,
        withConfig(ct, { health_check: { command: 'true', retries: 1, interval: 1 } }),
      ),
    ).toEqual(['health']);
    expect(changedSteps(tables.lxc, ct, withConfig(ct, { template_snapshot_name: 'v2' }))).toEqual([
      'snapshot',
    ]);
  });

  it('cascades from features to portainer, app, health and snapshot, not into configure, disk or start', () => {
    const cascades = Object.fromEntries(tables.lxc.map((s) => [s.kind, s.cascades]));
    expect(cascades).toEqual({
      define: false,
      configure: false,
      firewall: false,
      idmap: false,
      apparmor: false,
      disk: false,
      mounts: false,
      start: false,
      'pre-configured': false,
      feature: true,
      portainer: true,
      app: true,
      health: true,
      snapshot: true,
    });
  });

  it('lists the scripts each step runs', () => {
    const scripts = (name: string): string[] => {
      const spec = tables.lxc.find((s) => s.instances(ct, fleet).includes(name));
      return spec?.scripts(stepCtx(fleet, ct, name)) ?? [];
    };
    expect(scripts('feature:nvidia')).toEqual([
      `${ROOT}/bin/lxc_setup/phoenix_hypervisor_feature_install_nvidia.sh`,
    ]);
    expect(scripts('app')).toEqual([`${ROOT}/bin/phoenix_hypervisor_lxc_950.sh`]);
    expect(scripts('configure')).toEqual([]);
  });
});

function step<T extends Guest>(specs: StepSpec<T>[], target: T, name: string, live: LiveGuest[] = []) {
  const spec = specs.find((s) => s.instances(target, fleet).includes(name));
  if (!spec) throw new Error(`no ${name}`);
  const ctx = stepCtx(fleet, target, name, liveState(live));
  return {
    check: () => spec.check(ctx),
    preview: () => spec.preview(ctx),
    locks: () => spec.locks?.(ctx) ?? [],
    needs: (replacing = false) => spec.needs?.(ctx, replacing) ?? [],
  };
}

const running = (id: number, config: Record<string, string>, extra: Partial<LiveGuest> = {}): LiveGuest => ({
  id,
  kind: 'lxc',
  status: 'running',
  template: false,
  config,
  snapshots: [],
  ...extra,
});

describe('container previews and checks', () => {
  it('define creates with every setting and the unprivileged flag', () => {
    expect(step(tables.lxc, ct, 'define').preview()).toEqual([
      [
        'pct',
        'create',
        '950',
        'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
        '--hostname',
        'ct950',
        '--memory',
        '2048',
        '--swap',
        '512',
        '--cores',
        '2',
        '--rootfs',
        'local-lvm:16',
        '--net0',
        'name=eth0,bridge=vmbr0,ip=10.0.0.50/24,gw=10.0.0.1',
        '--unprivileged',
        '1',
      ],
    ]);
    expect(step(tables.lxc, ct, 'define').check()).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('define clones from the source snapshot, in full onto another pool', () => {
    expect(step(tables.lxc, clone, 'define').preview()).toEqual([
      [
        'pct',
        'clone',
        '900',
        '951',
        '--hostname',
        'ct951',
        '--snapname',
        'base-snapshot',
        '--full',
        '1',
        '--storage',
        'fastpool',
      ],
    ]);
    // A clone with an address of its own gets it in define, right after the clone.
    const own = withConfig(clone, { network_config: { name: 'eth0', bridge: 'vmbr0', ip: '10.0.0.51/24' } });
    expect(step(tables.lxc, own, 'define').preview()[1]).toEqual([
      'pct',
      'set',
      '951',
      '--net0',
      'name=eth0,bridge=vmbr0,ip=10.0.0.51/24',
    ]);
  });

  // pve-manager aplinfo / pveam download and pve-storage content checks: docs/proxmox-facts.md.
  it('define of a CT to create needs its template (by name on its storage) and rootdir content on its pool', () => {
    const onLocal = withConfig(ct, {
      template: '/var/lib/vz/template/cache/debian-12-standard_12.12-1_amd64.tar.zst',
    });
    expect(step(tables.lxc, onLocal, 'define').preview()[0]?.[3]).toBe(
      'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
    );
    expect(step(tables.lxc, onLocal, 'define').needs()).toMatchObject([
      { kind: 'content', storage: 'local-lvm', content: 'rootdir' },
      {
        kind: 'os-template',
        storage: 'local',
        file: 'debian-12-standard_12.12-1_amd64.tar.zst',
        guest: 'CT 950',
      },
    ]);
    // An existing CT needs nothing, unless --replace re-creates it.
    const exists = [running(950, {})];
    expect(step(tables.lxc, onLocal, 'define', exists).needs()).toEqual([]);
    expect(step(tables.lxc, onLocal, 'define', exists).needs(true)).toHaveLength(2);
  });

  it("a clone's define holds its source's lock (pct clone locks the source); other steps hold none", () => {
    expect(step(tables.lxc, clone, 'define').locks()).toEqual(['guest:900']);
    expect(step(tables.lxc, ct, 'define').locks()).toEqual([]);
    expect(step(tables.lxc, clone, 'configure').locks()).toEqual([]);
  });

  it('define of an existing CT on another storage is drift that needs a replace', () => {
    const live = running(950, { rootfs: 'tank:vm-950-disk-0,size=16G', unprivileged: '1' });
    expect(step(tables.lxc, ct, 'define', [live]).check()).toMatchObject({
      ok: false,
      reason: 'drift',
      needsReplace: expect.any(String) as unknown,
    });
    expect(step(tables.lxc, ct, 'define', [live]).preview()).toEqual([]);
  });

  it('configure reports per-key drift and previews one pct set', () => {
    const live = running(950, {
      hostname: 'ct950',
      memory: '1024',
      swap: '512',
      cores: '2',
      startup: 'order=0,up=0,down=180',
      net0: 'name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:00:00:01,ip=10.0.0.50/24,type=veth',
    });
    expect(step(tables.lxc, ct, 'configure', [live]).check()).toEqual({
      ok: false,
      reason: 'drift',
      detail: '1 setting(s) differ',
      diffs: [{ field: 'memory', actual: '1024', desired: '2048' }],
    });
    expect(step(tables.lxc, ct, 'configure', [live]).preview()).toEqual([
      ['pct', 'set', '950', '--memory', '2048'],
    ]);
  });

  // pve-container LXC/Config.pm vmconfig_hotplug_pending: `features` set on a running CT stays in [pve:pending]
  // until its next start (docs/proxmox-facts.md, "Pending changes").
  it('configure compares with the values the CT runs with: a pending value is reported, not set again', () => {
    const base = {
      hostname: 'ct950',
      memory: '2048',
      swap: '512',
      cores: '2',
      startup: 'order=0,up=0,down=180',
      net0: 'name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:00:00:01,ip=10.0.0.50/24,type=veth',
    };
    const nested = withConfig(ct, { pct_options: ['nesting=1'] });
    const live = running(
      950,
      { ...base, features: 'nesting=0' },
      { pending: { set: { features: 'nesting=1' }, delete: [] } },
    );
    expect(step(tables.lxc, nested, 'configure', [live]).check()).toEqual({
      ok: true,
      pending: [{ field: 'features', actual: 'nesting=0', desired: 'nesting=1' }],
    });
    expect(step(tables.lxc, nested, 'configure', [live]).preview()).toEqual([]);
    // A pending value that is not the configured one is drift: pct set replaces it.
    const other = running(
      950,
      { ...base, features: 'nesting=0' },
      { pending: { set: { features: 'keyctl=1' }, delete: [] } },
    );
    expect(step(tables.lxc, nested, 'configure', [other]).preview()).toEqual([
      ['pct', 'set', '950', '--features', 'nesting=1'],
    ]);
  });

  it('disk grows with an explicit unit (a bare number would mean bytes)', () => {
    const small = running(950, { rootfs: 'local-lvm:vm-950-disk-0,size=8G' });
    expect(step(tables.lxc, ct, 'disk', [small]).preview()).toEqual([
      ['pct', 'resize', '950', 'rootfs', '16G'],
    ]);
    expect(step(tables.lxc, ct, 'disk', [small]).check()).toMatchObject({ ok: false, reason: 'drift' });
  });

  it('disk larger than configured is flagged: never shrunk', () => {
    const big = running(950, { rootfs: 'local-lvm:vm-950-disk-0,size=32G' });
    expect(step(tables.lxc, ct, 'disk', [big]).check()).toMatchObject({
      ok: false,
      reason: 'drift',
      needsReplace: expect.stringMatching(/never shrunk/) as unknown,
    });
    expect(step(tables.lxc, ct, 'disk', [big]).preview()).toEqual([]);
  });

  it('start, feature, app, health and snapshot previews', () => {
    const stopped = running(950, {}, { status: 'stopped' });
    expect(step(tables.lxc, ct, 'start', [stopped]).preview()).toEqual([['pct', 'start', '950']]);
    expect(step(tables.lxc, ct, 'start', [running(950, {})]).check()).toEqual({ ok: true });
    expect(step(tables.lxc, ct, 'feature:docker', [stopped]).preview()).toEqual([
      [`${ROOT}/bin/lxc_setup/phoenix_hypervisor_feature_install_docker.sh`, '950'],
    ]);
    expect(step(tables.lxc, ct, 'feature:docker', [stopped]).check()).toEqual({ ok: 'unknown' });
    expect(step(tables.lxc, ct, 'app').preview()).toEqual([
      ['pct', 'exec', '950', '--keep-env', '0', '--', 'mkdir', '-p', '/tmp/phoenix_run'],
      [
        'pct',
        'push',
        '950',
        `${ROOT}/bin/phoenix_hypervisor_lxc_950.sh`,
        '/tmp/phoenix_run/phoenix_hypervisor_lxc_950.sh',
        '--perms',
        '0755',
      ],
      [
        'pct',
        'push',
        '950',
        `${ROOT}/etc/phoenix_lxc_configs.json`,
        '/tmp/phoenix_run/phoenix_lxc_configs.json',
        '--perms',
        '0644',
      ],
      [
        ...['pct', 'exec', '950', '--keep-env', '0', '--', 'env', 'HOME=/root'],
        ...['PHOENIX_GUEST_ID=950', 'PHOENIX_CTID=950', 'PHOENIX_GUEST_KIND=lxc'],
        ...[
          'PHOENIX_CONFIG_FILE=/tmp/phoenix_run/phoenix_lxc_configs.json',
          'PHOENIX_RUN_DIR=/tmp/phoenix_run',
        ],
        '/tmp/phoenix_run/phoenix_hypervisor_lxc_950.sh',
        '950',
      ],
      ['pct', 'exec', '950', '--keep-env', '0', '--', 'rm', '-rf', '/tmp/phoenix_run'],
    ]);
    expect(step(tables.lxc, ct, 'health').preview()).toEqual([
      ['pct', 'exec', '950', '--keep-env', '0', '--', 'nvidia-smi'],
      ['pct', 'exec', '950', '--keep-env', '0', '--', 'sh', '-c', 'curl -fsS http://localhost:8000/health'],
    ]);
    expect(step(tables.lxc, ct, 'snapshot', [running(950, {})]).preview()).toEqual([
      ['pct', 'snapshot', '950', 'ready'],
      ['pct', 'snapshot', '950', 'final-form'],
    ]);
    expect(step(tables.lxc, ct, 'snapshot', [running(950, {}, { snapshots: ['ready'] })]).check()).toEqual({
      ok: false,
      reason: 'missing',
      detail: "snapshot 'final-form' does not exist",
    });
    expect(
      step(tables.lxc, ct, 'snapshot', [running(950, {}, { snapshots: ['final-form', 'ready'] })]).check(),
    ).toEqual({ ok: true });
  });
});

describe('in-guest commands', () => {
  // pve-container src/PVE/CLI/pct.pm exec: keep-env defaults to 1 (still in PVE 9), so lxc-attach --keep-env hands
  // the guest the environment of the process calling pct (docs/proxmox-facts.md, "pct exec").
  it('every pct exec of every container step clears the host environment (--keep-env 0)', () => {
    const execs = tables.lxc.flatMap((spec) =>
      spec
        .instances(ct, fleet)
        .flatMap((name) => spec.preview(stepCtx(fleet, ct, name, liveState([running(950, {})]))))
        .filter((argv) => argv[0] === 'pct' && argv[1] === 'exec'),
    );
    expect(execs.length).toBeGreaterThan(3);
    for (const argv of execs) expect(argv.slice(2, 6)).toEqual(['950', '--keep-env', '0', '--']);
  });
});

describe('health probes', () => {
  it('runs a health-check script named by the command on the host with the CTID first', () => {
    const gw = lxc(
      953,
      { health_check: { command: 'check_gateway.sh --port 80', retries: 1, interval: 1 } },
      { healthCheck: `${ROOT}/bin/health_checks/check_gateway.sh` },
    );
    const f = fleetOf([gw]);
    const spec = tables.lxc.find((s) => s.kind === 'health')!;
    const ctx = stepCtx(f, gw, 'health');
    expect(spec.preview(ctx)).toEqual([
      [`${ROOT}/bin/health_checks/check_gateway.sh`, '953', '--port', '80'],
    ]);
    expect(spec.scripts(ctx)).toEqual([`${ROOT}/bin/health_checks/check_gateway.sh`]);
  });

  it('has no health step when there is nothing to check', () => {
    expect(names(tables.lxc, lxc(954, {}))).not.toContain('health');
  });
});

describe('previews on an empty host (a first plan)', () => {
  it('configure and disk of a container to be created list only what the create does not set', () => {
    expect(step(tables.lxc, ct, 'configure').preview()).toEqual([
      ['pct', 'set', '950', '--startup', 'order=0,up=0,down=180'],
    ]);
    expect(step(tables.lxc, ct, 'disk').preview()).toEqual([]);
  });

  it('configure of a VM cloned from a template that is not built yet sets only what differs from it', () => {
    expect(step(tables.vm, vmClone, 'configure').preview()).toEqual([]);
    const bigger = withConfig(vmClone, { memory_mb: 8192, disk_size_gb: 64 });
    expect(step(tables.vm, bigger, 'configure').preview()).toEqual([
      ['qm', 'set', '1001', '--memory', '8192'],
      ['qm', 'disk', 'resize', '1001', 'scsi0', '64G'],
    ]);
  });
});

describe('VM previews and checks', () => {
  const vmLive = (id: number, extra: Partial<LiveGuest> = {}): LiveGuest => ({
    id,
    kind: 'vm',
    status: 'running',
    template: false,
    config: {},
    snapshots: [],
    ...extra,
  });

  it('define of a VM from a cloud image needs import content on local and images on its pool', () => {
    expect(step(tables.vm, tmplVm, 'define').needs()).toMatchObject([
      { kind: 'content', storage: 'local-lvm', content: 'images', guest: 'VM 9000' },
      { kind: 'content', storage: 'local', content: 'import', guest: 'VM 9000' },
    ]);
  });

  it('define creates from the cloud image with a cloud-init drive, then grows the disk', () => {
    expect(step(tables.vm, tmplVm, 'define').preview()).toEqual([
      [
        'qm',
        'create',
        '9000',
        '--name',
        'vm9000',
        '--memory',
        '2048',
        '--cores',
        '1',
        '--net0',
        'virtio,bridge=vmbr0',
        '--scsihw',
        'virtio-scsi-pci',
        '--scsi0',
        'local-lvm:0,import-from=local:import/noble-server-cloudimg-amd64.qcow2',
        '--ide2',
        'local-lvm:cloudinit',
        '--boot',
        'order=scsi0',
        '--serial0',
        'socket',
        '--vga',
        'serial0',
        '--agent',
        'enabled=1',
        '--ipconfig0',
        'ip=dhcp',
      ],
      ['qm', 'disk', 'resize', '9000', 'scsi0', '32G'],
    ]);
  });

  it('define of a template clone is a linked clone', () => {
    expect(step(tables.vm, vmClone, 'define').preview()).toEqual([
      ['qm', 'clone', '9000', '1001', '--name', 'vm1001'],
    ]);
  });

  it('a non-template source is cloned in full from its snapshot', () => {
    const base = vm(1002, { template_image: 'x.img', template_snapshot_name: 'golden' });
    const child = vm(1003, { clone_from_vmid: 1002 });
    const f = fleetOf([base, child]);
    const spec = tables.vm[0]!;
    expect(spec.preview(stepCtx(f, child, 'define'))).toEqual([
      ['qm', 'clone', '1002', '1003', '--name', 'vm1003', '--snapname', 'golden', '--full', '1'],
    ]);
  });

  it('start and agent are satisfied by a template; template checks the flag', () => {
    const t = vmLive(9000, { status: 'stopped', template: true });
    expect(step(tables.vm, tmplVm, 'start', [t]).check()).toEqual({ ok: true });
    expect(step(tables.vm, tmplVm, 'agent', [t]).preview()).toEqual([]);
    expect(step(tables.vm, tmplVm, 'template', [t]).check()).toEqual({ ok: true });
    expect(step(tables.vm, tmplVm, 'template', [vmLive(9000)]).preview()).toEqual([
      ['qm', 'guest', 'exec', '9000', '--timeout', '1800', '--', 'cloud-init', 'status', '--wait'],
      ['qm', 'guest', 'exec', '9000', '--', 'cloud-init', 'clean'],
      ['qm', 'guest', 'exec', '9000', '--', 'truncate', '-s', '0', '/etc/machine-id'],
      ['qm', 'shutdown', '9000', '--timeout', '120'],
      ['qm', 'template', '9000'],
    ]);
  });

  it('agent pings a running VM', () => {
    expect(step(tables.vm, vmClone, 'agent', [vmLive(1001)]).preview()).toEqual([
      ['qm', 'guest', 'cmd', '1001', 'ping'],
    ]);
    expect(step(tables.vm, vmClone, 'agent', [vmLive(1001)]).check()).toEqual({ ok: 'unknown' });
  });
});

describe('host steps', () => {
  it('run the script with the hypervisor config as $1; only the zfs script gets --config and --mode', () => {
    const spec = tables.host[0]!;
    const ctx = { fleet, target: zfs, name: 'setup_zfs', live: liveState() };
    expect(spec.preview(ctx)).toEqual([[zfs.path, '--config', fleet.hypervisorConfigFile, '--mode', 'safe']]);
    expect(spec.check(ctx)).toEqual({ ok: 'unknown' });
    const other: HostSetupStep = {
      script: 'hypervisor_initial_setup.sh',
      name: 'initial_setup',
      path: '/x/hypervisor_initial_setup.sh',
    };
    expect(spec.preview({ ...ctx, target: other, name: 'initial_setup' })).toEqual([
      ['/x/hypervisor_initial_setup.sh', fleet.hypervisorConfigFile],
    ]);
  });
});

describe('defineStep', () => {
  it('fills in what a table entry leaves out: one instance named after its kind, no scripts, no cascade, no preview', () => {
    const step = defineStep<LxcGuest>({
      kind: 'tune',
      inputs: () => ({}),
      check: () => ({ ok: true }),
      run: () => Promise.resolve({ ok: true, value: undefined }),
    });
    const g = lxc(950, {});
    const ctx = stepCtx(fleetOf([g]), g, 'tune', liveState());
    expect([step.instances(g, fleetOf([g])), step.scripts(ctx), step.cascades, step.preview(ctx)]).toEqual([
      ['tune'],
      [],
      false,
      [],
    ]);
  });
});
