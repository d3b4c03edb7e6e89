// Commands run inside guests (`pct exec`, `qm guest exec`): outcomes from the sim config's exec rules,
// every run recorded on the guest.
import type { Ctx } from './context.js';
import type { GuestState } from './state.js';

export interface ExecResult {
  exit: number;
  stdout: string;
  stderr: string;
}

export async function runExecRules(
  ctx: Ctx,
  vmid: number,
  via: string,
  cmd: string[],
  fallback?: (g: GuestState) => { exit: number; stdout: string } | undefined,
): Promise<ExecResult> {
  const joined = cmd.join(' ');
  return ctx.tx((s) => {
    const g = s.guests[vmid];
    const known = g && fallback ? fallback(g) : undefined;
    let res: ExecResult = known ? { ...known, stderr: '' } : { exit: 0, stdout: '', stderr: '' };
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
    if (g) g.execs.push({ t: ctx.now(), via, cmd, exit: res.exit });
    return res;
  });
}
