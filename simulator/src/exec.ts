// Commands run inside guests (`pct exec`, `qm guest exec`): outcomes from the sim config's exec rules,
// every run recorded on the guest.
import type { Ctx } from './context.js';
import type { ExecRecord, GuestState } from './state.js';

export interface ExecResult {
  exit: number;
  stdout: string;
  stderr: string;
}

/**
 * The command env(1) runs: `env NAME=VALUE... cmd args` executes `cmd args` with those variables, so exec rules
 * match the command itself (Phoenix names the variables an in-guest script gets this way).
 */
export function commandUnderEnv(cmd: readonly string[]): string[] {
  if (cmd[0] !== 'env' && !/(^|\/)env$/.test(cmd[0] ?? '')) return [...cmd];
  let i = 1;
  while (i < cmd.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd[i] ?? '')) i++;
  return cmd.slice(i);
}

/**
 * What a command does with no exec rule: it succeeds with no output, except `false`, which fails (exit 1) as it
 * would in any guest.
 */
function defaultOutcome(cmd: readonly string[]): ExecResult {
  const name = (cmd[0] ?? '').split('/').pop();
  return { exit: name === 'false' ? 1 : 0, stdout: '', stderr: '' };
}

export async function runExecRules(
  ctx: Ctx,
  vmid: number,
  via: string,
  cmd: string[],
  extra: Pick<ExecRecord, 'hostEnv'> = {},
  /**
   * What the guest itself answers to a command it knows (cloud-init-boot.ts, guest-mounts.ts; it may change the
   * guest), when no exec rule answers instead.
   */
  known?: (g: GuestState) => { exit: number; stdout: string; stderr?: string } | undefined,
): Promise<ExecResult> {
  const command = commandUnderEnv(cmd);
  const joined = command.join(' ');
  return ctx.tx((s) => {
    const g = s.guests[vmid];
    let res: ExecResult | undefined;
    for (const [i, rule] of ctx.cfg.exec.entries()) {
      if (rule.guest !== undefined && rule.guest !== vmid) continue;
      if (!new RegExp(rule.match).test(joined)) continue;
      const key = `${i}:${rule.match}`;
      const n = (s.execCounters[key] ?? 0) + 1;
      s.execCounters[key] = n;
      if (rule.times !== undefined && n > rule.times) continue;
      res = { exit: rule.exit, stdout: rule.stdout ?? '', stderr: rule.stderr ?? '' };
      break;
    }
    // A rule stands for a failure injected in place of the guest's own answer, which then changes nothing.
    const answer = res === undefined && g && known ? known(g) : undefined;
    res ??= answer ? { stderr: '', ...answer } : defaultOutcome(command);
    if (g) g.execs.push({ t: ctx.now(), via, cmd, exit: res.exit, ...extra });
    return res;
  });
}
