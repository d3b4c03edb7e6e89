// The example fleet: the IDs the orchestrator plan's spec rows use, on what a fresh Proxmox host has
// (storage local-lvm, bridge vmbr0, the Debian 12 template from the standard catalogue).
// Templates: 900 base -> 901 GPU -> 920 vLLM, and 900 -> 902 Docker; 950 and 953 are services; 1000 is a VM
// cloned from the cloud-image template VM 9000. Scripts live under examples/.
import { defineConfig } from 'phoenix';

const network = (ip: string) => ({ name: 'eth0', bridge: 'vmbr0', ip, gw: '10.0.0.1' });

export default defineConfig({
  scripts: {
    lxc_features: 'examples/lxc_features',
    vm_features: 'examples/vm_features',
    applications: 'examples/applications',
    hypervisor_setup: 'examples/hypervisor_setup',
    health_checks: 'examples/health_checks',
    tests: 'examples/tests',
  },
  hypervisor: {
    node: 'pve',
    setup_scripts: [
      'hypervisor_initial_setup.sh',
      'hypervisor_feature_setup_zfs.sh',
      'hypervisor_feature_setup_firewall.sh',
    ],
    // Settings for the setup scripts, handed to them unchanged.
    timezone: 'Etc/UTC',
    zfs: { pools: [] },
  },
  globals: {
    nvidia_driver_version: '580.76.05',
  },
  lxc: {
    '900': {
      name: 'base-template',
      template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
      memory_mb: 1024,
      cores: 1,
      storage_pool: 'local-lvm',
      storage_size_gb: 8,
      network_config: network('dhcp'),
      template_snapshot_name: 'base-ready',
    },
    '901': {
      name: 'gpu-template',
      clone_from_ctid: 900,
      memory_mb: 2048,
      cores: 2,
      storage_pool: 'local-lvm',
      storage_size_gb: 16,
      network_config: network('dhcp'),
      features: ['nvidia'],
      template_snapshot_name: 'gpu-ready',
    },
    '902': {
      name: 'docker-template',
      clone_from_ctid: 900,
      memory_mb: 2048,
      cores: 2,
      storage_pool: 'local-lvm',
      storage_size_gb: 16,
      network_config: network('dhcp'),
      features: ['docker'],
      pct_options: ['nesting=1', 'keyctl=1'],
      template_snapshot_name: 'docker-ready',
    },
    '920': {
      name: 'vllm-template',
      clone_from_ctid: 901,
      memory_mb: 8192,
      cores: 4,
      storage_pool: 'local-lvm',
      storage_size_gb: 32,
      network_config: network('dhcp'),
      features: ['vllm'],
      template_snapshot_name: 'vllm-ready',
    },
    '950': {
      name: 'vllm-qwen',
      clone_from_ctid: 920,
      memory_mb: 16384,
      cores: 4,
      storage_pool: 'local-lvm',
      storage_size_gb: 64,
      network_config: network('10.0.0.150/24'),
      dependencies: [953],
      start_at_boot: true,
      boot_order: 3,
      boot_delay: 5,
      application_script: 'phoenix_hypervisor_lxc_950.sh',
      // Unknown keys are kept and passed through to scripts.
      vllm_model: 'Qwen/Qwen2.5-7B-Instruct-AWQ',
    },
    '953': {
      name: 'gateway',
      clone_from_ctid: 900,
      memory_mb: 1024,
      cores: 1,
      storage_pool: 'local-lvm',
      storage_size_gb: 8,
      network_config: network('10.0.0.153/24'),
      start_at_boot: true,
      boot_order: 1,
      application_script: 'phoenix_hypervisor_lxc_953.sh',
      health_check: { command: 'check_gateway.sh', retries: 5, interval: 2 },
      tests: {
        smoke: [{ name: 'gateway answers on port 80', type: 'script', path: 'gateway/test_gateway_http.sh' }],
      },
    },
  },
  vm_defaults: {
    cores: 2,
    memory_mb: 2048,
    storage_pool: 'local-lvm',
    network_bridge: 'vmbr0',
    user_config: { username: 'phoenix' },
  },
  vms: [
    {
      vmid: 9000,
      name: 'ubuntu-noble-cloud',
      is_template: true,
      template_image: 'noble-server-cloudimg-amd64.img',
      template_image_url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
      disk_size_gb: 16,
      network_config: { ip: 'dhcp' },
    },
    {
      vmid: 1000,
      name: 'docker-vm',
      clone_from_vmid: 9000,
      disk_size_gb: 32,
      network_config: { ip: '10.0.0.100/24', gw: '10.0.0.1', nameservers: '10.0.0.153 1.1.1.1' },
      features: ['docker'],
      start_at_boot: true,
      boot_order: 2,
    },
  ],
});
