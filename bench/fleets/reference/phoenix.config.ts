// The benchmark's reference fleet, shaped like a real GPU/AI homelab (issue 8): a chain of LXC templates,
// ten service containers cloned from them, and a cloud-image VM template with one Docker VM cloned from it.
//   templates: 900 base -> 901 GPU -> 903 Docker+GPU, 901 -> 920 vLLM; 900 -> 902 Docker
//   services:  953 gateway (boot 1); 955/957 GPU (boot 2); 950/951 vLLM, 952/954/956 Docker (boot 3);
//              910 Docker, 960 Docker+GPU (boot 4); all but 953 depend on the gateway 953
//   VMs:       8000 Ubuntu cloud-image template, 8001 Docker VM cloned from it
// Scripts live beside this file and act on the host only through pct/qm, like the user's real ones.
import { defineConfig } from 'phoenix';

const gw = '10.0.0.1';
const net = (ip: string) => ({ name: 'eth0', bridge: 'vmbr0', ip, gw });
const DEBIAN = 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst';

/** A service container: cloned from a template, behind the gateway, started in boot order. */
const service = (
  name: string,
  from: number,
  ip: string,
  boot: number,
  extra: Record<string, unknown> = {},
) => ({
  name,
  clone_from_ctid: from,
  memory_mb: 4096,
  cores: 2,
  storage_pool: 'local-lvm',
  storage_size_gb: 32,
  network_config: net(`${ip}/24`),
  dependencies: [953],
  start_at_boot: true,
  boot_order: boot,
  boot_delay: 5,
  ...extra,
});

export default defineConfig({
  scripts: {
    lxc_features: 'lxc_features',
    vm_features: 'vm_features',
    applications: 'applications',
    hypervisor_setup: 'hypervisor_setup',
    health_checks: 'health_checks',
  },
  hypervisor: {
    node: 'pve',
    setup_scripts: ['hypervisor_initial_setup.sh'],
    timezone: 'Etc/UTC',
  },
  globals: { nvidia_driver_version: '580.76.05' },
  lxc: {
    '900': {
      name: 'base-template',
      template: DEBIAN,
      memory_mb: 1024,
      cores: 1,
      storage_pool: 'local-lvm',
      storage_size_gb: 8,
      network_config: net('dhcp'),
      features: ['base_setup'],
      template_snapshot_name: 'base-ready',
    },
    '901': {
      name: 'gpu-template',
      clone_from_ctid: 900,
      memory_mb: 2048,
      cores: 2,
      storage_pool: 'local-lvm',
      storage_size_gb: 16,
      network_config: net('dhcp'),
      features: ['nvidia'],
      lxc_options: [
        'lxc.cgroup2.devices.allow: c 195:* rwm',
        'lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file',
      ],
      template_snapshot_name: 'gpu-ready',
    },
    '902': {
      name: 'docker-template',
      clone_from_ctid: 900,
      memory_mb: 2048,
      cores: 2,
      storage_pool: 'local-lvm',
      storage_size_gb: 16,
      network_config: net('dhcp'),
      features: ['docker'],
      pct_options: ['nesting=1', 'keyctl=1'],
      template_snapshot_name: 'docker-ready',
    },
    '903': {
      name: 'docker-gpu-template',
      clone_from_ctid: 901,
      memory_mb: 4096,
      cores: 2,
      storage_pool: 'local-lvm',
      storage_size_gb: 32,
      network_config: net('dhcp'),
      features: ['docker'],
      pct_options: ['nesting=1', 'keyctl=1'],
      template_snapshot_name: 'docker-gpu-ready',
    },
    '920': {
      name: 'vllm-template',
      clone_from_ctid: 901,
      memory_mb: 8192,
      cores: 4,
      storage_pool: 'local-lvm',
      storage_size_gb: 64,
      network_config: net('dhcp'),
      features: ['vllm'],
      template_snapshot_name: 'vllm-ready',
    },
    '953': {
      name: 'gateway',
      clone_from_ctid: 900,
      memory_mb: 1024,
      cores: 1,
      storage_pool: 'local-lvm',
      storage_size_gb: 8,
      network_config: net('10.0.0.153/24'),
      start_at_boot: true,
      boot_order: 1,
      application_script: 'phoenix_hypervisor_lxc_953.sh',
      health_check: { command: 'check_http.sh', retries: 5, interval: 2 },
    },
    '955': service('ollama-gpu', 901, '10.0.0.155', 2, {
      memory_mb: 16384,
      application_script: 'phoenix_hypervisor_lxc_955.sh',
    }),
    '957': service('llamacpp-gpu', 901, '10.0.0.157', 2, {
      memory_mb: 16384,
      application_script: 'phoenix_hypervisor_lxc_957.sh',
    }),
    '950': service('vllm-qwen', 920, '10.0.0.150', 3, {
      memory_mb: 32768,
      cores: 8,
      storage_size_gb: 128,
      application_script: 'phoenix_hypervisor_lxc_950.sh',
      vllm_model: 'Qwen/Qwen2.5-7B-Instruct-AWQ',
    }),
    '951': service('vllm-embed', 920, '10.0.0.151', 3, {
      memory_mb: 16384,
      cores: 4,
      storage_size_gb: 64,
      application_script: 'phoenix_hypervisor_lxc_951.sh',
      vllm_model: 'BAAI/bge-m3',
    }),
    '952': service('qdrant', 902, '10.0.0.152', 3, { application_script: 'phoenix_hypervisor_lxc_952.sh' }),
    '954': service('n8n', 902, '10.0.0.154', 3, { application_script: 'phoenix_hypervisor_lxc_954.sh' }),
    '956': service('open-webui', 902, '10.0.0.156', 3, {
      dependencies: [953, 955],
      application_script: 'phoenix_hypervisor_lxc_956.sh',
      health_check: { command: 'check_http.sh', retries: 5, interval: 2 },
    }),
    '910': service('portainer', 902, '10.0.0.110', 4, {
      application_script: 'phoenix_hypervisor_lxc_910.sh',
    }),
    '960': service('comfyui', 903, '10.0.0.160', 4, {
      memory_mb: 16384,
      application_script: 'phoenix_hypervisor_lxc_960.sh',
    }),
  },
  vm_defaults: {
    cores: 2,
    memory_mb: 4096,
    storage_pool: 'local-lvm',
    network_bridge: 'vmbr0',
    user_config: { username: 'phoenix' },
  },
  vms: [
    {
      vmid: 8000,
      name: 'ubuntu-noble-cloud',
      is_template: true,
      template_image: 'noble-server-cloudimg-amd64.img',
      template_image_url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
      disk_size_gb: 16,
      network_config: { ip: 'dhcp' },
    },
    {
      vmid: 8001,
      name: 'docker-vm',
      clone_from_vmid: 8000,
      disk_size_gb: 64,
      network_config: { ip: '10.0.0.201/24', gw, nameservers: '10.0.0.153 1.1.1.1' },
      features: ['docker'],
      dependencies: [953],
      start_at_boot: true,
      boot_order: 4,
    },
  ],
});
