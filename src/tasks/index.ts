// The step tables the graph builder and the runner consume: one ordered table per target kind.
//
// Inputs each step fingerprints (config fields; scripts() adds the content hashes of what it runs):
//   LXC define     template, storage_pool, unprivileged | clone: clone_from_ctid, clone_snapshot, storage_pool
//   LXC configure  name, memory_mb, swap_mb, cores, start_at_boot, boot_order, boot_delay, shutdown_timeout, pct_options,
//                  network_config, mac_address, apparmor_profile, lxc_options, volumes, zfs_volumes
//   LXC disk       storage_size_gb
//   start, agent   (none: their check is the live status)
//   feature:<f>    the feature name, the guest's passthrough keys (unknown to the schema), fleet globals
//   LXC app        application_script, passthrough keys, globals
//   LXC health     health_check, the features with a built-in check (nvidia)
//   snapshot       template_snapshot_name
//   VM define      template_image, storage_pool | clone: clone_from_vmid, clone_snapshot, storage_pool
//   VM configure   name, memory_mb, cores, start_at_boot, boot_order, boot_delay, shutdown_timeout, network_bridge,
//                  network_config, user_config, disk_size_gb (grow-only)
//   VM template    is_template
//   host:<name>    script, the hypervisor settings except setup_scripts, globals
// Cascading steps (their fingerprint folds upstream ones): feature, app, health, snapshot, template.
import type { HostSetupStep, LxcGuest, VmGuest } from '../config/model.js';
import { hostSteps } from './host-steps.js';
import { makeLxcSteps } from './lxc-steps.js';
import type { StepOptions } from './options.js';
import type { ExecutableStep } from './step.js';
import { makeVmSteps } from './vm-steps.js';

export interface ExecutableStepTables {
  lxc: ExecutableStep<LxcGuest>[];
  vm: ExecutableStep<VmGuest>[];
  host: ExecutableStep<HostSetupStep>[];
}

/** The tables with timings of one's own (tests shorten pauses; a CLI flag could set the agent timeout). */
export function makeStepTables(options: Partial<StepOptions> = {}): ExecutableStepTables {
  return { lxc: makeLxcSteps(options), vm: makeVmSteps(options), host: hostSteps };
}

export const stepTables: ExecutableStepTables = makeStepTables();

export type { StepOptions } from './options.js';
export { DEFAULT_STEP_OPTIONS } from './options.js';
