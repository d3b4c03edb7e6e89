// The `portainer` step: for a container whose portainer_role is set (and not `none`), the portainer feature script
// runs on the host with the CTID as $1, after the features and before the application script, as the original's
// run_portainer_script did in its state machine.
import type { LxcGuest } from '../config/model.js';
import { globalsReadBy } from '../config/script-files.js';
import { existenceCheck, liveOf, passthrough, runHostScript } from './guest-common.js';
import type { ExecutableStep, StepContext } from './step.js';
import { defineStep } from './step.js';

function script(ctx: Pick<StepContext<LxcGuest>, 'target'>): string {
  const file = ctx.target.scripts.portainer;
  if (file === undefined) throw new Error(`CT ${ctx.target.id} has no portainer role`); // instances() guards
  return file;
}

export const portainerStep: ExecutableStep<LxcGuest> = defineStep<LxcGuest>({
  kind: 'portainer',
  instances: (g) => (g.scripts.portainer === undefined ? [] : ['portainer']),
  inputs: (ctx) => ({
    portainer_role: ctx.target.config.portainer_role,
    passthrough: passthrough(ctx.target),
    globals: globalsReadBy(ctx.fleet, [script(ctx)]),
  }),
  scripts: (ctx) => [script(ctx)],
  cascades: true,
  check: (ctx) => existenceCheck(ctx.target, liveOf(ctx)) ?? { ok: 'unknown' },
  preview: (ctx) => [[script(ctx), String(ctx.target.id)]],
  run(ctx) {
    ctx.report(`running the portainer script (role ${ctx.target.config.portainer_role ?? ''})`);
    return runHostScript(ctx, script(ctx));
  },
});
