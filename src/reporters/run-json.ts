// A run as one JSON document (`--json` on the verbs that run steps): the plan, then what became of each step of it
// (status, duration, error, the commands it ran), and the counts. Printed on stdout once the run is over; progress
// stays on stderr.
import type { Plan } from '../plan/types.js';
import type { RunSummary } from '../run/summary.js';
import { planToJson, type PlanJson } from './plan.js';

export interface RunStepJson {
  address: string;
  target: number | 'host';
  /** `ran` and `failed` ran; `skipped` did not (see `reason`); `blocked` needs --replace; `up-to-date` had no work. */
  status: 'ran' | 'failed' | 'skipped' | 'blocked' | 'up-to-date';
  durationMs?: number;
  /** Why a skipped step did not run, or why a blocked one is blocked. */
  reason?: string;
  error?: {
    message: string;
    /** The failing command, when one failed (secret values masked). */
    command?: { argv: string[]; reason: string; exitCode?: number; stderrTail: string };
  };
  /** The commands the step ran, in order (secret values masked). */
  commands: string[][];
}

export interface RunJson {
  plan: PlanJson;
  steps: RunStepJson[];
  summary: {
    ran: number;
    failed: number;
    skipped: number;
    blocked: number;
    upToDate: number;
    interrupted: boolean;
    wallMs: number;
  };
  /** The run log (every command and its output); absent when nothing ran. */
  log?: string;
}

/** What the run did with each step, as recorded while it ran. */
export interface RunRecord {
  summary: RunSummary;
  durations: ReadonlyMap<string, number>;
  commands: ReadonlyMap<string, readonly (readonly string[])[]>;
}

export function runToJson(plan: Plan, run: RunRecord | undefined): RunJson {
  const s = run?.summary;
  const ran = new Set(s?.ran ?? []);
  const failed = new Map((s?.failed ?? []).map((f) => [f.address, f]));
  const steps = plan.steps.map((step): RunStepJson => {
    const base = {
      address: step.address,
      target: step.target,
      commands: (run?.commands.get(step.address) ?? []).map((a) => [...a]),
    };
    const durationMs = run?.durations.get(step.address);
    const timed = durationMs === undefined ? {} : { durationMs };
    const failure = failed.get(step.address);
    if (failure)
      return {
        ...base,
        status: 'failed',
        ...timed,
        error: {
          message: failure.message,
          ...(failure.command && {
            command: {
              argv: [...failure.command.argv],
              reason: failure.command.reason,
              ...(failure.command.exitCode !== undefined && { exitCode: failure.command.exitCode }),
              stderrTail: failure.command.stderrTail,
            },
          }),
        },
      };
    if (ran.has(step.address)) return { ...base, status: 'ran', ...timed };
    if (step.status === 'blocked') return { ...base, status: 'blocked', reason: step.blocked ?? '' };
    if (step.status === 'up-to-date') return { ...base, status: 'up-to-date' };
    return { ...base, status: 'skipped', reason: s?.skipReasons[step.address] ?? 'not run' };
  });
  const count = (status: RunStepJson['status']): number => steps.filter((x) => x.status === status).length;
  return {
    plan: planToJson(plan),
    steps,
    summary: {
      ran: count('ran'),
      failed: count('failed'),
      skipped: count('skipped'),
      blocked: count('blocked'),
      upToDate: count('up-to-date'),
      interrupted: s?.interrupted ?? false,
      wallMs: s?.wallMs ?? 0,
    },
    ...(s !== undefined && s.logFile !== '' && s.ran.length + s.failed.length > 0 && { log: s.logFile }),
  };
}
