// Commands whose Proxmox task can fail while the command still exits 0 (fact sheet, section 0), and the helper
// that runs such a command and then reads the state back.
import type { Result } from '../result.js';
import { err } from '../result.js';
import type { Argv } from './argv.js';
import type { CommandFailure, CommandResult, HostExec, RunOptions } from './host.js';

/**
 * Command prefixes that start a task without checking its status: a failure inside the task is printed on stderr
 * but the exit code is 0. Verify them by reading the state back (config, size, template flag, `pveam list`).
 * `qm guest exec` also exits 0 when the guest command failed; its JSON `exitcode` says (see parseGuestExec).
 */
export const EXIT_ZERO_ON_TASK_FAILURE: readonly (readonly string[])[] = [
  ['pct', 'resize'],
  ['pct', 'push'],
  ['pct', 'pull'],
  ['pct', 'template'],
  ['qm', 'disk', 'resize'],
  ['qm', 'resize'],
  ['qm', 'template'],
  ['pveam', 'download'],
  ['pveam', 'update'],
];

/** Whether `argv` is one of EXIT_ZERO_ON_TASK_FAILURE, so its exit code alone proves nothing. */
export function exitsZeroOnTaskFailure(argv: Argv): boolean {
  return EXIT_ZERO_ON_TASK_FAILURE.some((prefix) => prefix.every((word, i) => argv[i] === word));
}

/**
 * Run a command, then `verify` the state it should have produced. `verify` returns true when the state is right,
 * or false / a description of what it found when not; the result is then a `verify-failed` failure carrying the
 * command's stderr (where such tasks print their error).
 */
export async function runVerified(
  host: HostExec,
  argv: Argv,
  verify: () => Promise<boolean | string>,
  opts?: RunOptions,
): Promise<Result<CommandResult, CommandFailure>> {
  const result = await host.run(argv, opts);
  if (!result.ok) return result;
  const verdict = await verify();
  if (verdict === true) return result;
  const stderrTail = result.value.stderr.trim().split('\n').slice(-15).join('\n');
  const found =
    typeof verdict === 'string' && verdict !== '' ? verdict : 'the state read back is not what it should be';
  const lastLine = stderrTail.split('\n').pop();
  return err({
    reason: 'verify-failed',
    argv: result.value.argv,
    exitCode: result.value.exitCode,
    stderrTail,
    message: `${argv.join(' ')} exited 0 but ${found}${lastLine ? ` (stderr: ${lastLine})` : ''}`,
  });
}
