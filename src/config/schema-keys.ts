// The keys schema.ts's objects define, written out for code that needs them on a path that must not load zod (a
// warm run takes its fleet from the fleet cache and never validates). test/config/schema-keys.test.ts keeps each
// list equal to its schema's keys, in order.

/** phoenixConfig's keys: the top level of phoenix.config.*. */
export const CONFIG_TOP_KEYS: readonly string[] = [
  '$schema',
  'hypervisor',
  'lxc',
  'globals',
  'vm_defaults',
  'vms',
  'scripts',
];

/** lxcGuest's keys (a container's config); any other key is passed through to scripts. */
export const LXC_GUEST_KEYS: readonly string[] = [
  'name',
  'memory_mb',
  'swap_mb',
  'cores',
  'template',
  'storage_pool',
  'storage_size_gb',
  'network_config',
  'mac_address',
  'unprivileged',
  'start_at_boot',
  'boot_order',
  'boot_delay',
  'shutdown_timeout',
  'features',
  'pct_options',
  'lxc_options',
  'apparmor_profile',
  'apparmor_manages_nesting',
  'portainer_role',
  'clone_from_ctid',
  'dependencies',
  'template_snapshot_name',
  'enable_lifecycle_snapshots',
  'application_script',
  'health_check',
  'tests',
  'volumes',
  'zfs_volumes',
  'node',
  'mount_points',
  'id_maps',
  'firewall',
];

/** vmGuest's keys (a VM's config); any other key is passed through to scripts. */
export const VM_GUEST_KEYS: readonly string[] = [
  'vmid',
  'name',
  'is_template',
  'template_image',
  'template_image_url',
  'clone_from_vmid',
  'template_snapshot_name',
  'enable_lifecycle_snapshots',
  'cores',
  'memory_mb',
  'disk_size_gb',
  'storage_pool',
  'network_bridge',
  'network_config',
  'user_config',
  'features',
  'dependencies',
  'start_at_boot',
  'boot_order',
  'boot_delay',
  'shutdown_timeout',
  'node',
  'firewall',
  'volumes',
];
