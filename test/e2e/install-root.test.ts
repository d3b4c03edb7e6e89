// An install root in the shape of the user's (test/fixtures/install-root: 644 scripts, a template path on a ZFS
// dataset's dir storage, a cloud image named by its file name, a cloud-init template with placeholders), set up and
// built by the real `phoenix` process under --sim, once. The simulator's call log must show every script called as
// the original orchestrator called it, and nothing of the tree run on this machine.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls, readSimState, simBinDir, simEnv, type CallRecord } from '../../simulator/src/testing.js';
import type { PlanJson } from '../../src/reporters/plan.js';
import { REPO, runPhoenix, tempDir, type Ran, type Workspace } from '../reliability/helpers.js';

const ENV = {
  PHOENIX_SIM_LATENCY_SCALE: '0',
  PHOENIX_START_PAUSE_MS: '0',
  PHOENIX_AGENT_POLL_MS: '20',
};

let ws: Workspace;
let tree: string;
/** A script that, if it ever ran on this machine, would leave this file behind. */
let marker: string;
const runs: Ran[] = [];
let afterBuild = 0;

const phoenix = async (...args: string[]): Promise<Ran> => {
  const r = await runPhoenix(ws, [...args, '--config', tree], { env: ENV });
  runs.push(r);
  return r;
};
const line = (c: CallRecord): string => [c.tool, ...c.argv].join(' ');
const clusterFw = (): string => join(ws.sim, 'etc/pve/firewall/cluster.fw');
/** The fixture's shared_volumes.firewall as Proxmox keeps it. */
const CLUSTER_FW = [
  '[OPTIONS]',
  '',
  'enable: 1',
  'policy_in: DROP',
  'policy_out: ACCEPT',
  '',
  '[RULES]',
  '',
  'IN ACCEPT -p tcp -dport 443 # HTTPS to the fixture gateway',
  'IN ACCEPT -source 10.9.0.0/24 -dest 10.9.0.2 -p tcp -dport 2049 # NFS on the fixture host',
  'OUT ACCEPT -dest 10.9.0.53 -p udp -dport 53 # DNS from the fixture host',
  '',
  '',
].join('\n');
const scripts = (): string[][] =>
  readCalls(ws.sim)
    .filter((c) => c.tool === 'script')
    .map((c) => c.argv);

beforeAll(async () => {
  const root = tempDir('phoenix-install-root-');
  ws = { root, sim: join(root, 'sim'), cache: join(root, 'cache'), prefs: join(root, 'prefs') };
  tree = join(root, 'phoenix_hypervisor');
  cpSync(join(REPO, 'test/fixtures/install-root'), tree, { recursive: true });
  marker = join(root, 'a-script-ran-here');
  writeFileSync(
    join(tree, 'bin/lxc_setup/phoenix_hypervisor_feature_install_docker.sh'),
    `#!/bin/bash\ntouch ${marker}\n`,
  );
  expect((await phoenix('setup')).exit).toBe(0);
  expect((await phoenix('LetsGo')).exit).toBe(0);
  afterBuild = readCalls(ws.sim).length;
}, 240_000);

afterAll(() => rmSync(ws.root, { recursive: true, force: true }));

describe("the user's install root under --sim", () => {
  it('setup calls 12 scripts in the original order: the config as $1, only ZFS with --config and --mode', () => {
    const hv = join(tree, 'etc/phoenix_hypervisor_config.json');
    const setup = scripts().filter((a) => a[0]!.includes('/hypervisor_setup/'));
    expect(setup.map((a) => [a[0]!.split('/').pop(), ...a.slice(1)])).toEqual([
      ['hypervisor_initial_setup.sh', hv],
      ['hypervisor_feature_setup_zfs.sh', '--config', hv, '--mode', 'safe'],
      ['hypervisor_feature_configure_vfio.sh', hv],
      ['hypervisor_feature_install_nvidia.sh', hv],
      ['hypervisor_feature_initialize_nvidia_gpus.sh', hv],
      ['hypervisor_feature_setup_nfs.sh', hv],
      ['hypervisor_feature_create_heads_user.sh', hv],
      ['hypervisor_feature_setup_samba.sh', hv],
      ['hypervisor_feature_create_admin_user.sh', hv],
      ['hypervisor_feature_provision_shared_resources.sh', hv],
      ['hypervisor_feature_setup_apparmor.sh', hv],
      ['hypervisor_feature_fix_apparmor_tunables.sh', hv],
    ]);
  });

  it("host:firewall writes shared_volumes.firewall into cluster.fw in the place of the tree's firewall script, then starts pve-firewall", () => {
    expect(readFileSync(clusterFw(), 'utf8')).toBe(CLUSTER_FW);
    expect(readCalls(ws.sim).map(line)).toContain('script pve-firewall start');
  });

  it('nothing of the tree ran on this machine: every host script is a recorded call', () => {
    expect(existsSync(marker)).toBe(false);
    expect(scripts()).toContainEqual([
      join(tree, 'bin/lxc_setup/phoenix_hypervisor_feature_install_docker.sh'),
      '910',
    ]);
  });

  it('container features, portainer and the NVIDIA check run on the host with the CTID as $1', () => {
    const bin = join(tree, 'bin');
    expect(scripts()).toEqual(
      expect.arrayContaining([
        [`${bin}/lxc_setup/phoenix_hypervisor_feature_install_base_setup.sh`, '900'],
        [`${bin}/lxc_setup/phoenix_hypervisor_feature_install_nvidia.sh`, '901'],
        [`${bin}/health_checks/check_nvidia.sh`, '901'],
        [`${bin}/lxc_setup/phoenix_hypervisor_feature_install_portainer.sh`, '910'],
        [`${bin}/lxc_setup/phoenix_hypervisor_feature_install_portainer.sh`, '953'],
        ['systemctl', 'reload', 'apparmor'],
      ]),
    );
  });

  it('application scripts run in /tmp/phoenix_run with the CTID, the utilities and their extra files beside them', () => {
    const calls = readCalls(ws.sim).map(line);
    expect(calls.filter((c) => c.endsWith('/tmp/phoenix_run/phoenix_hypervisor_lxc_vllm.sh 950'))).toEqual([
      expect.stringMatching(/^pct exec 950 --keep-env 0 -- env HOME=\/root PHOENIX_\S+ /),
    ]);
    expect(calls).toContain(
      `pct push 950 ${tree}/bin/phoenix_hypervisor_common_utils.sh /tmp/phoenix_run/phoenix_hypervisor_common_utils.sh --perms 0755`,
    );
    expect(calls).toContain(
      `pct push 953 ${tree}/etc/nginx/sites-available/vllm_gateway /tmp/phoenix_run/vllm_gateway --perms 0644`,
    );
    expect(calls).toContain(
      `pct push 953 ${tree}/etc/nginx/scripts/http.js /tmp/phoenix_run/http.js --perms 0644`,
    );
  });

  it('the template path on a dataset storage is downloaded there with pveam; the cloud image by name, checked', () => {
    const calls = readCalls(ws.sim).map(line);
    expect(calls).toContain('pveam download bulkPool-shared-iso ubuntu-24.04-standard_24.04-2_amd64.tar.zst');
    expect(calls.find((c) => c.startsWith('pct create 900 '))).toMatch(
      /^pct create 900 \/bulkPool\/shared-iso\/template\/cache\/ubuntu-24\.04-standard_24\.04-2_amd64\.tar\.zst /,
    );
    expect(calls.find((c) => c.includes('/download-url '))).toMatch(
      /--url https:\/\/cloud-images\.ubuntu\.com\/noble\/current\/noble-server-cloudimg-amd64\.img --checksum [0-9a-f]{64} --checksum-algorithm sha256$/,
    );
  });

  it('a custom AppArmor profile is installed and used with the nesting lines; containers get their storages', () => {
    const state = readSimState(ws.sim);
    expect(readFileSync(join(ws.sim, 'etc/apparmor.d/fixture-nesting-v2'), 'utf8')).toContain(
      'profile fixture-nesting-v2',
    );
    expect(state.guests[910]?.lxc).toEqual(
      expect.arrayContaining([
        ['lxc.apparmor.profile', 'fixture-nesting-v2'],
        ['lxc.apparmor.allow_nesting', '1'],
        ['lxc.include', '/usr/share/lxc/config/nesting.conf'],
      ]),
    );
    expect(state.guests[910]?.config.mp0).toMatch(/^fastPool-shared-volumes:.*,mp=\/data/);
  });

  it('a capability list in lxc_options is one lxc.cap.keep line per capability; a value with blanks stays whole', () => {
    expect(readSimState(ws.sim).guests[953]?.lxc).toEqual(
      expect.arrayContaining([
        ['lxc.cap.keep', 'sys_admin'],
        ['lxc.cap.keep', 'mknod'],
        ['lxc.cap.keep', 'sys_chroot'],
        ['lxc.mount.auto', 'proc:rw sys:rw'],
      ]),
    );
  });

  it('VM features are delivered inside the VM through cloud-init, never run on the host', () => {
    expect(scripts().some((a) => a.some((x) => x.includes('vm_features')))).toBe(false);
    const state = readSimState(ws.sim);
    const vm = state.guests[8001]!;
    expect(vm.config.cicustom).toBe('user=local:snippets/user-data-8001.yml');
    const booted = vm.cloudInitRun?.user ?? '';
    expect(booted.split('\n')[0]).toBe('#cloud-config');
    expect(booted).toContain('hostname: docker-vm');
    expect(booted).toContain('path: /tmp/features/feature_install_docker.sh');
    expect(booted).toContain('qemu-guest-agent');
    expect(state.guests[8000]?.config.template).toBe('1');
    expect(Object.keys(state.guests).sort()).toEqual(['8000', '8001', '900', '901', '910', '950', '953']);
  });

  it('910 (enable_lifecycle_snapshots: true) takes pre-configured after its start and before its features', () => {
    const calls = readCalls(ws.sim).slice(0, afterBuild).map(line);
    const at = (re: RegExp): number => calls.findIndex((c) => re.test(c));
    expect(at(/^pct start 910$/)).toBeLessThan(at(/^pct snapshot 910 pre-configured$/));
    expect(at(/^pct snapshot 910 pre-configured$/)).toBeLessThan(at(/feature_install_docker\.sh 910$/));
    expect(Object.keys(readSimState(ws.sim).guests[910]?.snapshots ?? {}).sort()).toEqual([
      'final-form',
      'pre-configured',
    ]);
    expect(at(/^pct snapshot 950 pre-configured$/)).toBe(-1); // unset: final-form alone
  });

  it("8001's NFS volumes are in its fstab and mounted; the folder the host exports is made on the host", () => {
    const vm = readSimState(ws.sim).guests[8001]!;
    expect(vm.nfsMounts).toEqual([
      { source: '10.9.0.2:/bulkPool/vm-persistent-data/8001', target: '/persistent-storage' },
      { source: '10.9.0.60:/exports/media', target: '/mnt/media' },
    ]);
    expect(vm.fstab).toContain('10.9.0.60:/exports/media /mnt/media nfs defaults,auto,nofail 0 0');
    expect(existsSync(join(ws.sim, 'bulkPool/vm-persistent-data/8001'))).toBe(true);
    expect(existsSync(join(ws.sim, 'exports/media'))).toBe(false); // another server's folder
  });

  it('a second LetsGo starts no host process (what is mounted inside 8001 is read only with --no-cache)', async () => {
    expect((await phoenix('LetsGo')).exit).toBe(0);
    expect(readCalls(ws.sim).slice(afterBuild).map(line)).toEqual([]);
  });

  it('a share unmounted behind its back: a plan trusts the step cache (no process), run --force mounts it again; a changed share re-runs only 8001:volumes', async () => {
    execFileSync(join(simBinDir(), 'qm'), ['guest', 'exec', '8001', '--', 'umount', '/mnt/media'], {
      env: simEnv(ws.sim, { ...process.env, ...ENV }), // the agent answers at once, as in Phoenix's runs
    });
    const stale = async (): Promise<PlanJson['steps']> => {
      const r = await phoenix('plan', '--json');
      return (JSON.parse(r.stdout) as PlanJson).steps.filter((s) => s.status !== 'up-to-date');
    };
    // What is mounted inside a VM takes its agent (a process) to read: a plan leaves it to the step cache.
    let from = readCalls(ws.sim).length;
    expect(await stale()).toEqual([]);
    expect(readCalls(ws.sim).slice(from)).toEqual([]);
    const inVm = (since: number) =>
      readCalls(ws.sim)
        .slice(since)
        .map(line)
        .filter((c) => /^qm guest exec 8001 .*-- (mount|umount) /.test(c));
    from = readCalls(ws.sim).length;
    expect((await phoenix('run', '8001:volumes', '--force')).exit).toBe(0);
    expect(inVm(from)).toEqual(['qm guest exec 8001 --timeout 600 -- mount /mnt/media']);

    const file = join(tree, 'etc/phoenix_vm_configs.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('/exports/media', '/exports/media2'));
    expect((await stale()).map((s) => s.address)).toEqual(['8001:volumes']);
    from = readCalls(ws.sim).length;
    expect((await phoenix('LetsGo')).exit).toBe(0);
    expect(inVm(from)).toContain('qm guest exec 8001 --timeout 600 -- mount /mnt/media');
    expect(readSimState(ws.sim).guests[8001]?.nfsMounts?.at(-1)).toEqual({
      source: '10.9.0.60:/exports/media2',
      target: '/mnt/media',
    });
  });

  it('a VM feature changed after the first boot is pushed and run inside the VM through the guest agent', async () => {
    const script = join(tree, 'bin/vm_features/feature_install_docker.sh');
    writeFileSync(script, `${readFileSync(script, 'utf8')}echo changed\n`);
    const from = readCalls(ws.sim).length;
    const r = await phoenix('LetsGo');
    expect(r.exit, r.stderr).toBe(0);
    const calls = readCalls(ws.sim).slice(from).map(line);
    // Pushed into a private folder made for this run (mktemp -d), run there with the VMID, and removed.
    const pushed = calls.filter((c) =>
      c.startsWith('qm guest exec 8001 --timeout 3600 --pass-stdin 1 -- /bin/sh -c'),
    );
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toContain('mktemp -d');
    expect(pushed[0]).toMatch(/ phoenix-feature feature_install_docker\.sh 8001$/);
    expect(calls.some((c) => c.includes('/tmp/features'))).toBe(false);
    expect(calls.some((c) => c.startsWith('script ') && c.includes('vm_features'))).toBe(false);
    expect(readFileSync(join(ws.sim, 'var/lib/vz/snippets/user-data-8001.yml'), 'utf8')).toContain(
      'echo changed',
    );
  });

  it('cluster.fw edited on the host shows as drift; setup puts the rules back and keeps the ipset added there', async () => {
    const ipset = '[IPSET management] # admins\n\n192.168.7.0/24\n\n';
    writeFileSync(clusterFw(), CLUSTER_FW.replace('-dport 443', '-dport 4443') + ipset);
    const plan = await phoenix('plan', 'host');
    expect(plan.stdout).toContain('run     host:firewall');
    expect(plan.stdout).toContain(
      'firewall rule 0: IN ACCEPT -p tcp -dport 4443 # HTTPS to the fixture gateway -> IN ACCEPT -p tcp -dport 443',
    );
    expect(plan.stdout).toMatch(/warning: inbound policy DROP on every node: ports 8006 .* and 22/);
    expect(plan.stdout).toContain('1 to run, 0 blocked, 12 up to date');
    expect((await phoenix('setup')).stderr).toContain('1 run, 12 up to date');
    expect(readFileSync(clusterFw(), 'utf8')).toBe(CLUSTER_FW.replace('[RULES]', `${ipset}[RULES]`));
  });

  it("one rule's port changed in the config plans host:firewall alone, and setup writes it", async () => {
    const hv = join(tree, 'etc/phoenix_hypervisor_config.json');
    writeFileSync(hv, readFileSync(hv, 'utf8').replace('"port": "2049"', '"port": "2050"'));
    const plan = await phoenix('plan', 'host', '--json');
    const steps = (JSON.parse(plan.stdout) as { steps: { address: string; status: string }[] }).steps;
    expect(steps.filter((s) => s.status !== 'up-to-date').map((s) => s.address)).toEqual(['host:firewall']);
    const from = readCalls(ws.sim).length;
    const setup = await phoenix('setup');
    expect(setup.stderr).toContain('1 run, 12 up to date');
    expect(setup.stderr).toContain('Warning: host:firewall: inbound policy DROP on every node');
    // A file write, then the daemon started (a no-op when it runs): no script.
    expect(readCalls(ws.sim).slice(from).map(line)).toEqual(['script pve-firewall start']);
    expect(readFileSync(clusterFw(), 'utf8')).toContain('-dport 2050 # NFS on the fixture host');
  });

  it('run 8000:snapshot says why a template has no snapshot step, touching nothing', async () => {
    const from = readCalls(ws.sim).length;
    const r = await phoenix('run', '8000:snapshot');
    expect(r.exit).toBe(1);
    expect(r.stderr).toContain("Error: '8000:snapshot' is not a step of 8000: VM 8000 is a template");
    expect(r.stderr).toContain('its last step is 8000:template; valid steps: define, configure, cloudinit');
    expect(readCalls(ws.sim).slice(from)).toEqual([]);
  });

  it("phoenix test calls the tree's test_runner.sh with the CTID and the suite, once per suite, as the original did", async () => {
    const from = readCalls(ws.sim).length;
    const r = await phoenix('test', '950');
    expect(r.exit, r.stderr).toBe(0);
    const runner = join(tree, 'bin/tests/test_runner.sh');
    expect(readCalls(ws.sim).slice(from).map(line)).toEqual([
      `script ${runner} 950 smoke`,
      `script ${runner} 950 integration_tests`,
    ]);
  });

  it("with runScripts in the tree's phoenix.sim.json, its scripts do run", async () => {
    writeFileSync(join(tree, 'phoenix.sim.json'), '{ "runScripts": true }\n');
    expect((await phoenix('run', '910:feature:docker', '--force')).exit).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});
