// The `apparmor` step: a container's own AppArmor profile (any apparmor_profile but `unconfined`) is installed on
// the host from the install root's etc/apparmor/ and AppArmor reloaded, before the container starts with it, as
// the original's apply_apparmor_profile did. The profile line itself (and the nesting lines) are `configure`'s.
import path from 'node:path';
import type { LxcGuest } from '../config/model.js';
import { MISSING_SCRIPT, scriptHasher } from '../config/script-files.js';
import { readFileSync } from 'node:fs';
import { done, exec, fail } from './act.js';
import { existenceCheck, liveOf } from './guest-common.js';
import type { Argv, StepContext } from './step.js';
import { defineStep } from './step.js';

/** Where AppArmor reads profiles from on the node. */
export const APPARMOR_DIR = '/etc/apparmor.d';
const RELOAD: Argv = ['systemctl', 'reload', 'apparmor'];

/** The profile file to install, when the install root has it (as read at load). */
function profileFile(ctx: Pick<StepContext<LxcGuest>, 'fleet' | 'target'>): string | undefined {
  const file = ctx.target.scripts.apparmorProfile;
  return file !== undefined && scriptHasher(ctx.fleet)(file) !== MISSING_SCRIPT ? file : undefined;
}

const installedAt = (file: string): string => path.posix.join(APPARMOR_DIR, path.basename(file));

export const apparmorStep = defineStep<LxcGuest>({
  kind: 'apparmor',
  instances: (g, fleet) => (profileFile({ fleet, target: g }) === undefined ? [] : ['apparmor']),
  inputs: (ctx) => ({ apparmor_profile: ctx.target.config.apparmor_profile }),
  // The profile's content is hashed like a script's: an edit to it installs it again.
  scripts: (ctx) => {
    const file = profileFile(ctx);
    return file === undefined ? [] : [file];
  },
  // What /etc/apparmor.d holds is not read before planning: once the container exists, the cache decides.
  check: (ctx) => existenceCheck(ctx.target, liveOf(ctx)) ?? { ok: 'unknown' },
  preview: (ctx) => {
    const file = profileFile(ctx);
    return file === undefined ? [] : [['install', '-m', '0644', file, installedAt(file)], RELOAD];
  },
  async run(ctx) {
    const file = profileFile(ctx);
    if (file === undefined) return done;
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (e) {
      return fail(ctx, `cannot read AppArmor profile ${file}: ${(e as Error).message}`);
    }
    ctx.report(`installing AppArmor profile ${path.basename(file)}`);
    const wrote = await ctx.host.writeHostFile(installedAt(file), content, 0o644);
    if (!wrote.ok) return fail(ctx, wrote.error.message, wrote.error);
    // The original only warned when the reload failed; a profile that does not load would stop the container
    // from starting, so here it is the step's failure.
    const reload = await exec(ctx, RELOAD);
    return reload.ok ? done : reload;
  },
});
