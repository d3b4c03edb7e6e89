// The hypervisor's setup: one `host:<name>` step per configured script, in order, each run on the host with the
// hypervisor config file, called as the original orchestrator's setup_hypervisor called it. The scripts are idempotent and their effect is not read back: the cache decides.
import path from 'node:path';
import type { Fleet, HostSetupStep } from '../config/model.js';
import { globalsReadBy } from '../config/script-files.js';
import { done, exec } from './act.js';
import { hostFirewallStep } from './host-firewall.js';
import type { Argv, ExecutableStep, StepContext } from './step.js';
import { defineStep } from './step.js';

/** The one setup script the original gave `--config FILE --mode safe|force-destructive` (it may wipe disks). */
export const ZFS_SETUP_SCRIPT = 'hypervisor_feature_setup_zfs.sh';

export function isZfsStep(step: HostSetupStep): boolean {
  return path.basename(step.script) === ZFS_SETUP_SCRIPT;
}

/**
 * The argv of a host script, as the original's setup_hypervisor gave it: the ZFS script `--config FILE --mode M`,
 * every other script the config file as `$1`. Only --wipe-disks (after confirmation) makes the ZFS step destructive.
 */
export function hostArgv(step: HostSetupStep, fleet: Fleet, wipeDisks: boolean): Argv {
  const config = fleet.hypervisorConfigFile;
  if (!isZfsStep(step)) return [step.path, config];
  return [step.path, '--config', config, '--mode', wipeDisks ? 'force-destructive' : 'safe'];
}

/**
 * The hypervisor settings the scripts read, without the script list itself (the step order is not an input) and
 * without `shared_volumes.firewall`, which only host:firewall acts on (it replaces the one script that read it).
 */
function hypervisorSettings(fleet: Fleet): Record<string, unknown> {
  const { setup_scripts: _scripts, shared_volumes, ...settings } = fleet.hypervisor;
  if (shared_volumes === undefined) return settings;
  const { firewall: _firewall, ...shared } = shared_volumes;
  return { ...settings, shared_volumes: shared };
}

export const hostScriptStep = defineStep<HostSetupStep>({
  kind: 'host',
  instances: (step) => (step.own ? [] : [step.name.replace(/^host:/, '')]),
  inputs: (ctx: StepContext<HostSetupStep>) => ({
    script: ctx.target.script,
    hypervisor: hypervisorSettings(ctx.fleet),
    globals: globalsReadBy(ctx.fleet, [ctx.target.path]),
  }),
  scripts: (ctx) => [ctx.target.path],
  check: () => ({ ok: 'unknown' }),
  // The preview cannot know --wipe-disks: it shows the safe mode.
  preview: (ctx) => [hostArgv(ctx.target, ctx.fleet, false)],
  async run(ctx) {
    const argv = hostArgv(ctx.target, ctx.fleet, ctx.flags.wipeDisks);
    ctx.report(`running ${ctx.target.script}`);
    const res = await exec(ctx, argv, {
      cwd: path.dirname(ctx.target.path),
      env: { PHOENIX_HYPERVISOR_CONFIG_FILE: ctx.fleet.hypervisorConfigFile },
    });
    return res.ok ? done : res;
  },
});

/** The hypervisor table: a script step per configured script, and the steps Phoenix does itself (`own`). */
export const hostSteps: ExecutableStep<HostSetupStep>[] = [hostScriptStep, hostFirewallStep];
