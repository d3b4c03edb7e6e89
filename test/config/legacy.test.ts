import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadFleet } from '../../src/config/load.js';
import type { Fleet, LxcGuest, VmGuest } from '../../src/config/model.js';
import { DEFAULT_SETUP_SCRIPTS } from '../../src/config/schema.js';
import { summarizeFleet } from '../../src/config/summary.js';
import { HV_FILE, LEGACY_FIXTURE, LXC_FILE, VM_FILE, editJson, legacyCopy, lxc, vm } from './helpers.js';

async function load(config: string): Promise<Fleet> {
  const result = await loadFleet({ config, cwd: '/' });
  if (!result.ok)
    throw new Error(result.error.map((p) => `${p.file} ${p.path.join('.')} ${p.message}`).join('\n'));
  expect(result.value.warnings).toEqual([]);
  return result.value.fleet;
}

const ct = (fleet: Fleet, id: number) => fleet.guests.get(id) as LxcGuest;
const qm = (fleet: Fleet, id: number) => fleet.guests.get(id) as VmGuest;
const etc = (file: string) => path.join(LEGACY_FIXTURE, 'etc', file);
const bin = (...parts: string[]) => path.join(LEGACY_FIXTURE, 'bin', ...parts);

describe('legacy layout', () => {
  test('an install root loads into containers and VMs without problems', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    expect([...fleet.guests.keys()].sort()).toEqual([8000, 8001, 900, 901, 950, 953]);
    expect(summarizeFleet(fleet)).toMatchObject({ containers: 4, vms: 2, templates: 3 });
    expect(fleet.files).toEqual([etc(HV_FILE), etc(LXC_FILE), etc(VM_FILE)]);
    expect(fleet.root).toBe(LEGACY_FIXTURE);
    expect(fleet.hypervisorConfigFile).toBe(etc(HV_FILE));
  });

  test.each([
    ['the etc/ folder', path.join(LEGACY_FIXTURE, 'etc')],
    ['one of the three files', etc(LXC_FILE)],
  ])('%s finds the same install root', async (_, config) => {
    const fleet = await load(config);
    expect(fleet.root).toBe(LEGACY_FIXTURE);
    expect(fleet.guests.size).toBe(6);
  });

  test('PHOENIX_CONFIG names the folder when --config is absent', async () => {
    const result = await loadFleet({ cwd: '/', env: { PHOENIX_CONFIG: LEGACY_FIXTURE } });
    expect(result.ok && result.value.fleet.guests.size).toBe(6);
  });

  test('string IDs become numbers: CTID keys, clone_from_ctid and dependencies', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    expect(ct(fleet, 950).id).toBe(950);
    expect(ct(fleet, 950).cloneFrom).toBe(901);
    expect(ct(fleet, 950).config.clone_from_ctid).toBe(901);
    expect(ct(fleet, 950).dependencies).toEqual([953]);
    expect(qm(fleet, 8001).cloneFrom).toBe(8000);
    expect(ct(fleet, 950).bootOrder).toBe(3);
  });

  test('keys the model does not know are kept, and the LXC file top-level extras become globals', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    const c950 = ct(fleet, 950).config as Record<string, unknown>;
    expect(c950.vllm_model).toBe('Qwen/Qwen2.5-7B-Instruct-AWQ');
    expect(c950.firewall).toMatchObject({ enabled: true });
    expect((ct(fleet, 900).config as Record<string, unknown>).portainer_role).toBe('none');
    expect((qm(fleet, 8001).config as Record<string, unknown>).qm_options).toEqual(['--vga qxl']);
    expect(fleet.globals).toEqual({
      nvidia_driver_version: '580.76.05',
      nvidia_repo_url: expect.stringContaining('nvidia') as unknown,
      nvidia_runfile_url: expect.stringContaining('.run') as unknown,
    });
    expect((fleet.hypervisor as Record<string, unknown>).timezone).toBe('America/New_York');
  });

  test('an empty mac_address means "let Proxmox choose" and is accepted', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    expect(ct(fleet, 900).config.mac_address).toBe('');
  });

  test('defaults are applied to what the file leaves out', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    expect(ct(fleet, 901).config.swap_mb).toBe(512);
    expect(ct(fleet, 901).config.unprivileged).toBe(true);
    expect(ct(fleet, 953).config.health_check).toEqual({
      command: 'curl -s --fail http://localhost:80',
      retries: 5,
      interval: 5,
    });
  });

  test('vm_defaults are merged under each VM; the VM wins', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    const c8001 = qm(fleet, 8001).config;
    expect(c8001.cores).toBe(4);
    expect(c8001.disk_size_gb).toBe(50);
    expect(c8001.storage_pool).toBe('local-lvm');
    expect((c8001 as Record<string, unknown>).template).toBe('ubuntu-24.04-standard');
    expect(qm(fleet, 8000).config.memory_mb).toBe(4096);
  });

  test('vm_defaults objects merge key by key with the VM object', async () => {
    const root = legacyCopy();
    editJson(root, VM_FILE, (doc) => {
      (doc.vm_defaults as Record<string, unknown>).network_config = {
        gw: '10.0.0.1',
        nameservers: '10.0.0.153',
      };
    });
    const fleet = await load(root);
    expect(qm(fleet, 8001).config.network_config).toEqual({
      ip: '10.0.0.101/24',
      gw: '10.0.0.1',
      nameservers: '10.0.0.153',
    });
    expect(qm(fleet, 8000).config.network_config).toEqual({
      ip: 'dhcp',
      gw: '10.0.0.1',
      nameservers: '10.0.0.153',
    });
  });

  test('scripts resolve against the install root as the original orchestrator did', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    expect(ct(fleet, 950).scripts).toEqual({
      features: [{ name: 'vllm', path: bin('lxc_setup', 'phoenix_hypervisor_feature_install_vllm.sh') }],
      application: bin('phoenix_hypervisor_lxc_950.sh'),
      tests: {
        integration_tests: [
          {
            name: 'vLLM Context Window Test',
            type: 'script',
            path: bin('tests', 'vllm', 'test_vllm_context_window.sh'),
          },
        ],
      },
    });
    expect(qm(fleet, 8001).scripts.features.map((f) => f.path)).toEqual([
      bin('vm_features', 'feature_install_base_setup.sh'),
      bin('vm_features', 'feature_install_docker.sh'),
    ]);
    expect(fleet.guestTestRunner).toBe(bin('tests', 'test_runner.sh'));
    expect(fleet.hypervisorTestRunner).toBe(bin('tests', 'hypervisor_test_runner.sh'));
  });

  test('without setup_scripts the hypervisor runs the original 13-script sequence', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    expect(fleet.hostSteps.map((s) => s.script)).toEqual([...DEFAULT_SETUP_SCRIPTS]);
    expect(fleet.hostSteps[0]).toEqual({
      script: 'hypervisor_initial_setup.sh',
      name: 'initial_setup',
      path: bin('hypervisor_setup', 'hypervisor_initial_setup.sh'),
    });
    expect(fleet.hostSteps.map((s) => s.name)).toContain('setup_zfs');
  });

  test('each guest knows where in which file it was defined', async () => {
    const fleet = await load(LEGACY_FIXTURE);
    expect(ct(fleet, 953).origin).toEqual({ file: etc(LXC_FILE), path: ['lxc_configs', '953'] });
    expect(qm(fleet, 8001).origin).toEqual({ file: etc(VM_FILE), path: ['vms', 1] });
  });

  test('a missing VM file is a warning, not an error: the fleet has no VMs', async () => {
    const root = legacyCopy();
    renameSync(path.join(root, 'etc', VM_FILE), path.join(root, 'etc', 'old.json'));
    const result = await loadFleet({ config: root, cwd: '/' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(summarizeFleet(result.value.fleet)).toMatchObject({ containers: 4, vms: 0, templates: 2 });
    expect(result.value.warnings).toMatchObject([
      { severity: 'warning', message: expect.stringContaining('file not found') as unknown },
    ]);
  });

  test("a VM's own value overrides vm_defaults for that VM only", async () => {
    const root = legacyCopy();
    editJson(root, VM_FILE, (doc) => {
      vm(doc, 1).memory_mb = 1024;
    });
    const fleet = await load(root);
    expect(qm(fleet, 8001).config.memory_mb).toBe(1024);
    expect(qm(fleet, 8000).config.memory_mb).toBe(4096);
  });
});

describe('nothing silent (issue 19 item 6)', () => {
  test('validate names the keys only passed to scripts apart from those acted on, and the files not read', async () => {
    const root = legacyCopy();
    editJson(root, LXC_FILE, (d) => {
      const ct = lxc(d, '950');
      ct.traefik_service = { name: 'api', port: 8000 };
      ct.docker_stacks = ['monitoring'];
      ct.mount_points = [{ host_path: '/srv/logs', container_path: '/var/log/app' }];
    });
    writeFileSync(path.join(root, 'etc', 'phoenix_stacks_config.json'), '{}');
    writeFileSync(path.join(root, 'etc', 'phoenix_stacks_config.schema.json'), '{}');
    const result = await loadFleet({ config: root, cwd: '/' });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    const s = summarizeFleet(result.value.fleet);
    const g = s.guests.find((x) => x.id === 950)!;
    expect(g.passed_to_scripts).toEqual(expect.arrayContaining(['traefik_service', 'docker_stacks']));
    expect(g.passed_to_scripts).not.toContain('mount_points');
    expect(g.acts_on).toEqual(expect.arrayContaining(['mount_points', 'memory_mb']));
    expect(g.acts_on).not.toContain('docker_stacks');
    expect(s.unread_files).toEqual(['phoenix_stacks_config.json']);
  });
});
