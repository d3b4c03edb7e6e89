// Commands inside a VM through the QEMU guest agent (`qm guest exec`): qm exits 0 whatever the command did, so the
// JSON it prints decides: its `exitcode`, and `out-data` for what the command printed.
import type { VmGuest } from '../config/model.js';
import type { Result } from '../result.js';
import { ok } from '../result.js';
import { exec, fail } from './act.js';
import type { ActionContext, Argv, StepFailure } from './step.js';

export interface GuestRunOptions {
  /** Text handed to the command's stdin (`--pass-stdin 1`; at most 1 MiB). */
  input?: string;
  /** How long qm waits for the command, seconds (`--timeout`; qm's own default is 30). */
  timeoutS?: number;
  /** Exit codes that count as success (default: 0). */
  okCodes?: readonly number[];
}

export function guestExecArgv(vmid: number, command: readonly string[], opts: GuestRunOptions = {}): Argv {
  return [
    'qm',
    'guest',
    'exec',
    String(vmid),
    ...(opts.timeoutS === undefined ? [] : ['--timeout', String(opts.timeoutS)]),
    ...(opts.input === undefined ? [] : ['--pass-stdin', '1']),
    '--',
    ...command,
  ];
}

/** Runs a command in the VM; succeeds with what it printed when its exit code is one of `okCodes`. */
export async function guestRun(
  ctx: ActionContext<VmGuest>,
  command: readonly string[],
  opts: GuestRunOptions = {},
): Promise<Result<{ exitcode: number; out: string }, StepFailure>> {
  const argv = guestExecArgv(ctx.target.id, command, opts);
  const res = await exec(ctx, argv, {
    ...(opts.input === undefined ? {} : { input: opts.input }),
    // Phoenix waits a little longer than qm does, so qm's own answer (or its pid) comes first.
    ...(opts.timeoutS === undefined ? {} : { timeoutMs: (opts.timeoutS + 60) * 1000 }),
  });
  if (!res.ok) return res;
  let parsed: { exitcode?: unknown; 'out-data'?: unknown; 'err-data'?: unknown } | undefined;
  try {
    parsed = JSON.parse(res.value.stdout) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const exitcode = parsed?.exitcode;
  const out = typeof parsed?.['out-data'] === 'string' ? parsed['out-data'] : '';
  if (typeof exitcode === 'number' && (opts.okCodes ?? [0]).includes(exitcode)) return ok({ exitcode, out });
  const errData = parsed?.['err-data'];
  const why = typeof exitcode === 'number' ? `exit code ${exitcode}` : 'no exit code (still running?)';
  const message = `${command.join(' ')} in VM ${ctx.target.id} failed: ${why}`;
  return fail(ctx, message, {
    reason: 'exit-non-zero',
    argv,
    ...(typeof exitcode === 'number' ? { exitCode: exitcode } : {}),
    stderrTail: typeof errData === 'string' ? errData.trim().split('\n').slice(-5).join('\n') : '',
    message,
  });
}

/**
 * Waits for cloud-init to finish its boot (`cloud-init status --wait`): 0 is done, 2 done with recoverable
 * errors (deprecated keys and the like); 1 is a failed boot stage, a failure here.
 */
export function cloudInitDone(ctx: ActionContext<VmGuest>): Promise<Result<unknown, StepFailure>> {
  return guestRun(ctx, ['cloud-init', 'status', '--wait'], { timeoutS: 1800, okCodes: [0, 2] });
}
