// Small pieces every step action uses: its address, failures as data, running a command and turning its
// failure into a step failure, and the "exits 0 but did nothing" verification failure.
import type { Guest, HostSetupStep } from '../config/model.js';
import type { CommandFailure, CommandResult, RunOptions } from '../host/host.js';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import { maskSecretArgs } from '../run/log.js';
import type { ActionContext, Argv, StepContext, StepFailure } from './step.js';

type Target = Guest | HostSetupStep;

/** `950:configure`, `host:setup_zfs`. */
export function addressOf(ctx: StepContext<Target>): string {
  return 'kind' in ctx.target ? `${ctx.target.id}:${ctx.name}` : `host:${ctx.name}`;
}

export function fail(
  ctx: StepContext<Target>,
  message: string,
  command?: CommandFailure,
): Result<never, StepFailure> {
  return err(command ? { address: addressOf(ctx), message, command } : { address: addressOf(ctx), message });
}

export const done: Result<void, never> = ok(undefined);

/** Runs one command; a failure becomes the step's failure, carrying the command. */
export async function exec(
  ctx: ActionContext<Target>,
  argv: Argv,
  opts?: RunOptions,
): Promise<Result<CommandResult, StepFailure>> {
  const res = await ctx.host.run(argv, opts);
  if (res.ok) return res;
  return fail(ctx, res.error.message, res.error);
}

/** For commands that exit 0 when their task failed: the read-back did not show the change. */
export function verifyFailed(
  ctx: StepContext<Target>,
  argv: Argv,
  message: string,
  result?: CommandResult,
): Result<never, StepFailure> {
  const stderrTail = (result?.stderr ?? '').trim().split('\n').slice(-5).join('\n');
  const full = stderrTail === '' ? message : `${message}: ${stderrTail.split('\n').pop() ?? ''}`;
  return fail(ctx, full, {
    reason: 'verify-failed',
    argv: maskSecretArgs(argv),
    exitCode: result?.exitCode,
    stderrTail,
    message: full,
  });
}

/** Where a config field lives, for messages: `phoenix_lxc_configs.json at lxc_configs.950.storage_pool`. */
export function fieldOrigin(guest: Guest, field: string): string {
  return `${guest.origin.file} at ${[...guest.origin.path, field].join('.')}`;
}
