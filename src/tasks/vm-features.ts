// `feature:<name>` of a VM: feature scripts run inside the VM, never on the host. The cloudinit step delivers them
// in the VM's snippet, and cloud-init runs them at the VM's first boot; this step waits for cloud-init to finish
// and reads back the data the VM booted with. When that is not the current snippet (the feature was added or
// changed after the first boot), the script is pushed into the VM and run there through the guest agent, with the
// VMID as $1, from a private folder made for that one run (`mktemp -d`, removed when the script ends): a fixed folder
// such as /tmp/features could be made beforehand by any user of the VM, who could then swap the script.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { VmGuest } from '../config/model.js';
import { done, fail } from './act.js';
import { consumedDataFile } from './cloud-init.js';
import { existenceCheck, featureOf, liveOf } from './guest-common.js';
import type { ActionContext, ExecutableStep } from './step.js';
import { defineStep } from './step.js';
import { buildSnippet, kindOf } from './vm-cloudinit.js';
import { cloudInitDone, guestExecArgv, guestRun } from './vm-guest.js';

/** How long a feature script may run inside the VM, seconds. */
const FEATURE_TIMEOUT_S = 3600;

/** `$0` of the script below, which names it in the VM's process list and in logs. */
export const PUSHED_FEATURE = 'phoenix-feature';

/** Writes stdin to `$1` in a new private folder, runs it with `$2`, and removes the folder (its exit code kept). */
const RUN_PUSHED = [
  'd=$(mktemp -d /tmp/phoenix-feature.XXXXXX) || exit 1;',
  `trap 'rm -rf "$d"' EXIT;`,
  'cat > "$d/$1" && chmod 0700 "$d/$1" && "$d/$1" "$2"',
].join(' ');

/** The command that pushes a feature script into the VM (on stdin) and runs it there with the VMID. */
export function pushAndRunCommand(vmid: number, file: string): string[] {
  return ['/bin/sh', '-c', RUN_PUSHED, PUSHED_FEATURE, path.basename(file), String(vmid)];
}

/** True when the VM's current cloud-init instance booted with this VM's current snippet. */
async function deliveredAtBoot(ctx: ActionContext<VmGuest>): Promise<boolean | string> {
  const snippet = buildSnippet(ctx);
  if (!snippet.ok) return snippet.error;
  const read = await guestRun(ctx, ['cat', consumedDataFile(kindOf(ctx))], { okCodes: [0, 1] });
  return read.ok && read.value.exitcode === 0 && read.value.out === snippet.value.text;
}

export const vmFeatureStep: ExecutableStep<VmGuest> = defineStep<VmGuest>({
  kind: 'feature',
  instances: (g) => g.config.features.map((f) => `feature:${f}`),
  inputs: (ctx) => ({ feature: featureOf(ctx).name }),
  scripts: (ctx) => [featureOf(ctx).path],
  cascades: true,
  check(ctx) {
    const live = liveOf(ctx);
    const bad = existenceCheck(ctx.target, live);
    if (bad) return bad;
    if (live?.template) return { ok: true }; // ran at the template's first boot; a template runs nothing
    // What ran inside the VM is not read before planning: once the VM exists, the cache decides (a VM that is
    // only stopped has not lost its features).
    return { ok: 'unknown' };
  },
  preview(ctx) {
    if (liveOf(ctx)?.template) return [];
    const command = pushAndRunCommand(ctx.target.id, featureOf(ctx).path);
    // The last one only when the VM did not boot with the current snippet.
    return [
      guestExecArgv(ctx.target.id, ['cloud-init', 'status', '--wait'], { timeoutS: 1800 }),
      guestExecArgv(ctx.target.id, ['cat', consumedDataFile(kindOf(ctx))]),
      guestExecArgv(ctx.target.id, command, { input: '', timeoutS: FEATURE_TIMEOUT_S }),
    ];
  },
  async run(ctx) {
    const feature = featureOf(ctx);
    const live = await ctx.host.readGuest('vm', ctx.target.id);
    if (!live) return fail(ctx, `VM ${ctx.target.id} does not exist`);
    if (live.template) return done;
    if (live.status !== 'running')
      return fail(ctx, `VM ${ctx.target.id} is ${live.status}: feature ${feature.name} runs inside it`);
    ctx.report(`waiting for cloud-init in VM ${ctx.target.id}`);
    const booted = await cloudInitDone(ctx);
    if (!booted.ok) return booted;
    const delivered = await deliveredAtBoot(ctx);
    if (typeof delivered === 'string') return fail(ctx, delivered);
    if (delivered) {
      ctx.report(`feature ${feature.name} ran inside VM ${ctx.target.id} at its first boot (cloud-init)`);
      return done;
    }
    let content: string;
    try {
      content = readFileSync(feature.path, 'utf8');
    } catch (e) {
      return fail(ctx, `cannot read feature script ${feature.path}: ${(e as Error).message}`);
    }
    ctx.report(`running feature ${feature.name} inside VM ${ctx.target.id} (guest agent)`);
    const ran = await guestRun(ctx, pushAndRunCommand(ctx.target.id, feature.path), {
      input: content,
      timeoutS: FEATURE_TIMEOUT_S,
    });
    return ran.ok ? done : ran;
  },
});
