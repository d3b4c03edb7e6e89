// What a run did, for the CLI's exit status and the summary line.
import type { StepFailure } from '../tasks/step.js';

export interface RunSummary {
  /** Steps that ran and succeeded (recorded in the cache), in completion order. */
  ran: string[];
  /** Stale steps that did not run: downstream of a failure or a blocked step, or never started. */
  skipped: string[];
  /** Why each skipped step did not run (`upstream 950:define failed`, `not started: interrupted`). */
  skipReasons: Record<string, string>;
  failed: StepFailure[];
  /** Blocked steps (need --replace); never executed. */
  blocked: string[];
  upToDate: number;
  wallMs: number;
  logFile: string;
  /** Ctrl-C / SIGTERM (or the caller's abort) stopped the run; only successful steps were recorded. */
  interrupted: boolean;
}
