// Container step actions against a fake host that records argv: the happy path, the idempotent second run and
// the failure paths (missing storage, a download that "succeeds" without a file, a resize that does not take,
// a flaky start, an exhausted health check).
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { LxcGuest } from '../../src/config/model.js';
import { makeLxcSteps } from '../../src/tasks/lxc-steps.js';
import type { ExecutableStep } from '../../src/tasks/step.js';
import { FakeHost } from './fake-host.js';
import { fast, fleetOf, harness, lxc, ROOT, tempRoot } from './fixtures.js';

const TEMPLATE = 'debian-12-standard_12.12-1_amd64.tar.zst';

function setup(config: Record<string, unknown> = {}, sleep = vi.fn(async () => {})) {
  const ct = lxc(950, {
    template: TEMPLATE,
    memory_mb: 2048,
    cores: 2,
    storage_size_gb: 16,
    start_at_boot: true,
    boot_order: 2,
    network_config: { ip: '10.0.0.50/24', gw: '10.0.0.1' },
    pct_options: ['nesting=1'],
    apparmor_profile: 'unconfined',
    lxc_options: ['lxc.mount.auto: sys:rw'],
    features: ['docker'],
    application_script: 'app_950.sh',
    health_check: { command: 'curl -fsS localhost', retries: 3, interval: 2 },
    template_snapshot_name: 'ready',
    ...config,
  });
  const steps = makeLxcSteps({ ...fast, sleep });
  const h = harness(fleetOf([ct]), ct);
  const byKind = (kind: string): ExecutableStep<LxcGuest> => {
    const s = steps.find((x) => x.kind === kind);
    if (!s) throw new Error(kind);
    return s;
  };
  const all = async (): Promise<void> => {
    for (const s of steps) {
      for (const name of s.instances(ct, fleetOf([ct]))) {
        const res = await h.run(s, name);
        if (!res.ok) throw new Error(`${name}: ${res.error.message}`);
      }
    }
  };
  return { ct, steps, h, host: h.host, byKind, all, sleep };
}

/** What the app script finds in its environment inside the container: named on its command line, nothing else. */
const APP_ENV = [
  'env HOME=/root PHOENIX_GUEST_ID=950 PHOENIX_CTID=950 PHOENIX_GUEST_KIND=lxc',
  'PHOENIX_CONFIG_FILE=/tmp/phoenix_run/phoenix_lxc_configs.json PHOENIX_RUN_DIR=/tmp/phoenix_run',
].join(' ');

describe('container lifecycle', () => {
  it('builds a container from nothing in the order the original did', async () => {
    const { host, all } = setup();
    await all();
    expect(host.mutating()).toEqual([
      `pveam download local ${TEMPLATE}`,
      `pct create 950 local:vztmpl/${TEMPLATE} --hostname ct950 --memory 2048 --swap 512 --cores 2 --rootfs local-lvm:16 --net0 name=eth0,bridge=vmbr0,ip=10.0.0.50/24,gw=10.0.0.1 --unprivileged 1`,
      'pct set 950 --onboot 1 --startup order=2,up=0,down=180 --features nesting=1',
      'pct start 950',
      `${ROOT}/bin/lxc_setup/phoenix_hypervisor_feature_install_docker.sh 950`,
      'pct exec 950 --keep-env 0 -- mkdir -p /tmp/phoenix_run',
      `pct push 950 ${ROOT}/bin/app_950.sh /tmp/phoenix_run/app_950.sh --perms 0755`,
      `pct push 950 ${ROOT}/etc/phoenix_lxc_configs.json /tmp/phoenix_run/phoenix_lxc_configs.json --perms 0644`,
      'pct exec 950 --keep-env 0 -- ls -d /tmp/phoenix_run/app_950.sh /tmp/phoenix_run/phoenix_lxc_configs.json',
      `pct exec 950 --keep-env 0 -- ${APP_ENV} /tmp/phoenix_run/app_950.sh 950`,
      'pct exec 950 --keep-env 0 -- rm -rf /tmp/phoenix_run',
      'pct exec 950 --keep-env 0 -- sh -c curl -fsS localhost',
      'pct snapshot 950 ready',
      'pct snapshot 950 final-form',
    ]);
    const conf = readFileSync(host.confFile(950), 'utf8');
    expect(conf).toContain('lxc.mount.auto: sys:rw\n');
    expect(conf).toContain('lxc.apparmor.profile: unconfined\n');
  });

  it('a second run of the checked steps issues no state-changing command', async () => {
    const { host, all, steps, h } = setup();
    await all();
    host.calls.length = 0;
    for (const kind of ['define', 'configure', 'disk', 'start', 'snapshot']) {
      const res = await h.run(steps.find((s) => s.kind === kind)!);
      expect(res.ok).toBe(true);
    }
    expect(host.mutating()).toEqual([]);
  });

  it('passes the feature script the CTID and the config file in its environment', async () => {
    const { host, h, byKind } = setup();
    const seen: Record<string, string>[] = [];
    host.addGuest({ id: 950, kind: 'lxc', status: 'running' });
    host.on(/feature_install_docker/, (_argv) => ({}));
    const run = host.run.bind(host);
    host.run = async (argv, opts) => {
      if (opts?.env) seen.push(opts.env);
      return run(argv, opts);
    };
    expect((await h.run(byKind('feature'), 'feature:docker')).ok).toBe(true);
    expect(seen[0]).toMatchObject({
      PHOENIX_CTID: '950',
      PHOENIX_CONFIG_FILE: `${ROOT}/etc/phoenix_lxc_configs.json`,
    });
  });

  it('clones from the source snapshot, then applies what the clone does not inherit', async () => {
    const source = lxc(900, { template: TEMPLATE, template_snapshot_name: 'base' });
    const ct = lxc(951, { clone_from_ctid: 900, memory_mb: 4096 });
    const host = new FakeHost(tempRoot());
    host.addGuest({
      id: 900,
      kind: 'lxc',
      config: {
        hostname: 'ct900',
        memory: '512',
        swap: '512',
        cores: '1',
        rootfs: 'local-lvm:vm-900-disk-0,size=8G',
        net0: 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:99,ip=dhcp,type=veth',
      },
    });
    const h = harness(fleetOf([source, ct]), ct, host);
    const steps = makeLxcSteps(fast);
    for (const kind of ['define', 'configure', 'disk'])
      expect((await h.run(steps.find((s) => s.kind === kind)!)).ok).toBe(true);
    expect(host.mutating()).toEqual([
      'pct clone 900 951 --hostname ct951 --snapname base',
      'pct set 951 --memory 4096 --startup order=0,up=0,down=180',
    ]);
  });

  it('a clone gets its own address and pinned MAC in define, so its recorded identity does not change later', async () => {
    const source = lxc(900, { template: TEMPLATE, template_snapshot_name: 'base' });
    const ct = lxc(952, {
      clone_from_ctid: 900,
      mac_address: '52:54:00:12:34:56',
      network_config: { ip: '10.0.0.52/24' },
    });
    const host = new FakeHost(tempRoot());
    host.addGuest({
      id: 900,
      kind: 'lxc',
      config: {
        rootfs: 'local-lvm:vm-900-disk-0,size=8G',
        net0: 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:99,ip=10.0.0.90/24,type=veth',
      },
    });
    const h = harness(fleetOf([source, ct]), ct, host);
    expect((await h.run(makeLxcSteps(fast)[0]!)).ok).toBe(true);
    expect(host.mutating()).toEqual([
      'pct clone 900 952 --hostname ct952 --snapname base',
      'pct set 952 --net0 name=eth0,bridge=vmbr0,ip=10.0.0.52/24,hwaddr=52:54:00:12:34:56,type=veth',
    ]);
  });

  it('stops before creating anything when the storage pool does not exist, naming the pool and the field', async () => {
    const { host, h, byKind } = setup({ storage_pool: 'tank' });
    const res = await h.run(byKind('define'));
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.address).toBe('950:define');
      expect(res.error.message).toContain("storage pool 'tank'");
      expect(res.error.message).toContain('lxc_configs.950.storage_pool');
    }
    expect(host.calls.map((c) => c.join(' '))).toEqual(['pvesm status']);
  });

  it('a template download that exits 0 without the file is a failure, and nothing is created', async () => {
    const { host, h, byKind } = setup();
    host.on(/^pveam download/, { exit: 0, stderr: 'download failed: 404 Not Found' });
    const res = await h.run(byKind('define'));
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.command?.reason).toBe('verify-failed');
      expect(res.error.message).toContain('404 Not Found');
    }
    expect(host.mutating().some((c) => c.startsWith('pct create'))).toBe(false);
  });

  it('does not download a template that is already there', async () => {
    const { host, h, byKind } = setup();
    host.volumes.add(`local:vztmpl/${TEMPLATE}`);
    expect((await h.run(byKind('define'))).ok).toBe(true);
    expect(host.mutating().filter((c) => c.startsWith('pveam'))).toEqual([]);
  });

  it('a resize that exits 0 but leaves the disk small is a verify failure', async () => {
    const { host, h, byKind } = setup();
    host.addGuest({ id: 950, kind: 'lxc', config: { rootfs: 'local-lvm:vm-950-disk-0,size=8G' } });
    host.on(/^pct resize/, { exit: 0, stderr: 'zfs error: out of space' });
    const res = await h.run(byKind('disk'));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.command?.reason).toBe('verify-failed');
    expect(host.mutating()).toEqual(['pct resize 950 rootfs 16G']);
  });

  it('never shrinks a disk', async () => {
    const { host, h, byKind } = setup();
    host.addGuest({ id: 950, kind: 'lxc', config: { rootfs: 'local-lvm:vm-950-disk-0,size=32G' } });
    const res = await h.run(byKind('disk'));
    expect(res.ok).toBe(false);
    expect(host.mutating()).toEqual([]);
  });

  it('start retries after failures, with a pause, and succeeds on the third attempt', async () => {
    const { host, h, byKind, sleep } = setup();
    host.addGuest({ id: 950, kind: 'lxc' });
    host.on(/^pct start/, { exit: 255, stderr: "startup for container '950' failed" }, 2);
    expect((await h.run(byKind('start'))).ok).toBe(true);
    expect(host.mutating()).toEqual(['pct start 950', 'pct start 950', 'pct start 950']);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it('start gives up after three failed attempts', async () => {
    const { host, h, byKind } = setup();
    host.addGuest({ id: 950, kind: 'lxc' });
    host.on(/^pct start/, { exit: 255, stderr: "startup for container '950' failed" });
    const res = await h.run(byKind('start'));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toMatch(/gave up after 3 attempts/);
  });

  it('health retries with the configured interval, then fails', async () => {
    const { host, h, byKind, sleep } = setup();
    host.addGuest({ id: 950, kind: 'lxc', status: 'running' });
    host.on(/sh -c/, { exit: 7, stderr: 'connection refused' });
    const res = await h.run(byKind('health'));
    expect(res.ok).toBe(false);
    expect(host.calls.filter((c) => c.includes('sh'))).toHaveLength(3);
    expect(sleep).toHaveBeenCalledWith(2000, undefined); // the pause, and the run's abort signal (none here)
    if (!res.ok) expect(res.error.message).toMatch(/after 3 attempts/);
  });

  it('cleans /tmp/phoenix_run even when the application script fails', async () => {
    const { host, h, byKind } = setup();
    host.addGuest({ id: 950, kind: 'lxc', status: 'running' });
    host.on(/^pct exec 950 --keep-env 0 -- env .* \/tmp\/phoenix_run\/app_950\.sh 950$/, {
      exit: 1,
      stderr: 'boom',
    });
    const res = await h.run(byKind('app'));
    expect(res.ok).toBe(false);
    expect(host.mutating().at(-1)).toBe('pct exec 950 --keep-env 0 -- rm -rf /tmp/phoenix_run');
  });

  it("a phoenix.config fleet's app gets the config in the legacy shape: its own secrets, not its neighbours'", async () => {
    const fromTs = (g: LxcGuest): LxcGuest => ({
      ...g,
      origin: { file: `${ROOT}/phoenix.config.ts`, path: ['lxc', String(g.id)] },
    });
    const own = fromTs(
      lxc(950, { application_script: 'app_950.sh', admin_password: 'mine', vllm_model: 'q' }),
    );
    const other = fromTs(
      lxc(953, { admin_password: 'theirs', api_token: 't0k', network_config: { ip: 'dhcp' } }),
    );
    const h = harness(fleetOf([own, other]), own);
    h.host.addGuest({ id: 950, kind: 'lxc', status: 'running' });
    let pushed: { lxc_configs: Record<string, Record<string, unknown>> } | undefined;
    h.host.on(/^pct push 950 \S+phoenix_lxc_configs\.json /, (argv) => {
      pushed = JSON.parse(readFileSync(argv[3] ?? '', 'utf8')) as typeof pushed;
      return { exit: 0 };
    });
    const app = makeLxcSteps(fast).find((s) => s.kind === 'app')!;
    const res = await h.run(app);
    expect(res.ok).toBe(true);
    expect(pushed?.lxc_configs['950']).toMatchObject({ admin_password: 'mine', vllm_model: 'q' });
    expect(pushed?.lxc_configs['953']).toMatchObject({
      admin_password: '***',
      api_token: '***',
      network_config: { ip: 'dhcp' },
    });
    expect(JSON.stringify(pushed)).not.toMatch(/theirs|t0k/);
  });

  it('--replace destroys the container and defines it again', async () => {
    const { host, h, byKind } = setup();
    host.volumes.add(`local:vztmpl/${TEMPLATE}`);
    host.addGuest({ id: 950, kind: 'lxc', status: 'running' });
    expect((await h.run(byKind('define'), 'define', { replace: true })).ok).toBe(true);
    expect(host.mutating().slice(0, 3)).toEqual([
      'pct stop 950',
      'pct destroy 950 --purge 1',
      expect.stringMatching(/^pct create 950 /) as unknown,
    ]);
  });

  it('an existing snapshot is left alone', async () => {
    const { host, h, byKind } = setup();
    host.addGuest({ id: 950, kind: 'lxc', snapshots: ['ready', 'final-form'] });
    expect((await h.run(byKind('snapshot'))).ok).toBe(true);
    expect(host.mutating()).toEqual([]);
  });

  it('an existing snapshot whose build changed is re-taken: deleted, then taken again (preview likewise)', async () => {
    const { host, h, byKind, ct } = setup({ enable_lifecycle_snapshots: false });
    host.addGuest({ id: 950, kind: 'lxc', snapshots: ['ready'] });
    const step = byKind('snapshot');
    const ctx = { ...h.ctx('snapshot'), redo: true };
    expect(step.preview(ctx)).toEqual([
      ['pct', 'delsnapshot', '950', 'ready'],
      ['pct', 'snapshot', '950', 'ready'],
    ]);
    expect(step.preview({ ...ctx, redo: false })).toEqual([]);
    expect((await step.run(ctx)).ok).toBe(true);
    expect(host.mutating()).toEqual(['pct delsnapshot 950 ready', 'pct snapshot 950 ready']);
    expect(ct.config.template_snapshot_name).toBe('ready');
  });

  it('a guest that is no clone source takes its lifecycle snapshot, and only the missing one', async () => {
    const { host, h, byKind } = setup({ template_snapshot_name: undefined });
    host.addGuest({ id: 950, kind: 'lxc', snapshots: [] });
    expect((await h.run(byKind('snapshot'))).ok).toBe(true);
    expect(host.mutating()).toEqual(['pct snapshot 950 final-form']);
    host.calls.length = 0;
    expect((await h.run(byKind('snapshot'))).ok).toBe(true);
    expect(host.mutating()).toEqual([]);
  });

  it('the lifecycle snapshot is re-taken only when what it holds changed (redo), never otherwise', async () => {
    const { host, h, byKind } = setup({ template_snapshot_name: undefined });
    host.addGuest({ id: 950, kind: 'lxc', snapshots: ['final-form'] });
    const step = byKind('snapshot');
    expect(step.preview(h.ctx('snapshot'))).toEqual([]);
    expect((await step.run(h.ctx('snapshot'))).ok).toBe(true);
    expect(host.mutating()).toEqual([]);
    expect((await step.run({ ...h.ctx('snapshot'), redo: true })).ok).toBe(true);
    expect(host.mutating()).toEqual(['pct delsnapshot 950 final-form', 'pct snapshot 950 final-form']);
  });

  it('a storage without snapshots names the setting that turns the lifecycle snapshot off', async () => {
    const { host, h, byKind } = setup({ template_snapshot_name: undefined });
    host.addGuest({ id: 950, kind: 'lxc', snapshots: [] });
    host.on(/^pct snapshot 950 final-form$/, { exit: 255, stderr: 'snapshot feature is not available\n' });
    const res = await h.run(byKind('snapshot'));
    expect(res.ok).toBe(false);
    if (!res.ok)
      expect(res.error.message).toMatch(
        /snapshot feature is not available.*enable_lifecycle_snapshots: false.*lxc_configs\.950\.enable_lifecycle_snapshots/,
      );
  });
});
