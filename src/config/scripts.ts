// Where a config's scripts live: the original orchestrator's file-name conventions, under configurable folders.
import path from 'node:path';
import type { ScriptPaths } from './schema.js';

/** LXC feature `docker` -> `phoenix_hypervisor_feature_install_docker.sh` (original naming). */
export function lxcFeatureScript(dirs: ScriptPaths, feature: string): string {
  return path.join(dirs.lxc_features, `phoenix_hypervisor_feature_install_${feature}.sh`);
}

/** VM feature `docker` -> `feature_install_docker.sh` (original naming). */
export function vmFeatureScript(dirs: ScriptPaths, feature: string): string {
  return path.join(dirs.vm_features, `feature_install_${feature}.sh`);
}

export function applicationScript(dirs: ScriptPaths, script: string): string {
  return path.join(dirs.applications, script);
}

export function hypervisorSetupScript(dirs: ScriptPaths, script: string): string {
  return path.join(dirs.hypervisor_setup, script);
}

export function testScript(dirs: ScriptPaths, relative: string): string {
  return path.join(dirs.tests, relative);
}

export function guestTestRunner(dirs: ScriptPaths): string {
  return path.join(dirs.tests, 'test_runner.sh');
}

export function hypervisorTestRunner(dirs: ScriptPaths): string {
  return path.join(dirs.tests, 'hypervisor_test_runner.sh');
}

/**
 * The health-check script a `health_check.command` names, if its first word is a bare `*.sh` file name
 * (`check_gateway.sh --port 80` -> `<health_checks>/check_gateway.sh`); anything else is a command run in the guest.
 */
export function healthCheckScript(dirs: ScriptPaths, command: string): string | undefined {
  const first = command.trim().split(/\s+/)[0] ?? '';
  return /^[A-Za-z0-9_.-]+\.sh$/.test(first) ? path.join(dirs.health_checks, first) : undefined;
}

/** The feature script the original ran for a container whose `portainer_role` is set (and not `none`). */
export function portainerScript(dirs: ScriptPaths): string {
  return lxcFeatureScript(dirs, 'portainer');
}

/** The host-side NVIDIA check the original ran, with the CTID, for a container with the `nvidia` feature. */
export function nvidiaCheckScript(dirs: ScriptPaths): string {
  return path.join(dirs.health_checks, 'check_nvidia.sh');
}

/** A custom AppArmor profile's file (`etc/apparmor/<profile>`). */
export function apparmorProfileFile(dirs: ScriptPaths, profile: string): string {
  return path.join(dirs.apparmor, profile);
}

/** The cloud-init user-data template (`etc/cloud-init/user-data.template.yml`). */
export function userDataTemplate(dirs: ScriptPaths): string {
  return path.join(dirs.cloud_init, 'user-data.template.yml');
}

/**
 * Files the original pushed into /tmp/phoenix_run beside one particular application script (its
 * run_application_script names the gateway's by script name), relative to the install root; pushed when present.
 */
const APPLICATION_EXTRAS: Readonly<Record<string, readonly string[]>> = {
  'phoenix_hypervisor_lxc_953.sh': ['etc/nginx/scripts/http.js', 'etc/nginx/sites-available/vllm_gateway'],
};

export function applicationExtras(root: string, script: string): string[] {
  return (APPLICATION_EXTRAS[script] ?? []).map((f) => path.resolve(root, f));
}

/** Every script folder made absolute against `root`. */
export function resolveScriptDirs(root: string, dirs: ScriptPaths): ScriptPaths {
  const abs = (p: string) => path.resolve(root, p);
  return {
    lxc_features: abs(dirs.lxc_features),
    vm_features: abs(dirs.vm_features),
    applications: abs(dirs.applications),
    hypervisor_setup: abs(dirs.hypervisor_setup),
    health_checks: abs(dirs.health_checks),
    tests: abs(dirs.tests),
    apparmor: abs(dirs.apparmor),
    cloud_init: abs(dirs.cloud_init),
  };
}

/**
 * A host setup step's name: the script's file name without `.sh`, then without a leading `hypervisor_feature_` or
 * else `hypervisor_` prefix. `hypervisor_feature_setup_zfs.sh` -> `setup_zfs`,
 * `hypervisor_initial_setup.sh` -> `initial_setup`, `my_tweaks.sh` -> `my_tweaks`. Step address: `host:<name>`.
 */
export function hostStepName(script: string): string {
  const base = path.posix.basename(script).replace(/\.sh$/, '');
  const stripped = base.replace(/^hypervisor_feature_/, '').replace(/^hypervisor_/, '');
  return stripped === '' ? base : stripped;
}
