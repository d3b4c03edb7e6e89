// Timings and places the step actions use; defaults follow the original orchestrator, tests shorten them.
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

export interface StepOptions {
  /** `pct start` attempts before giving up (the original tried three times). */
  startAttempts: number;
  /** Pause between start attempts. */
  startPauseMs: number;
  /** How long `agent` waits for `qm guest cmd <id> ping` to answer. */
  agentTimeoutMs: number;
  /** Pause between agent pings. */
  agentPollMs: number;
  /** Timeout of `qm shutdown` in the template step, seconds (then `qm stop`). */
  shutdownTimeoutS: number;
  /** Host folder for files Phoenix hands to commands (SSH key files, the app's config JSON). */
  tmpDir: string;
  /** Pauses between attempts; injected so tests do not wait. */
  sleep(ms: number): Promise<void>;
}

export const DEFAULT_STEP_OPTIONS: StepOptions = {
  startAttempts: 3,
  startPauseMs: 5_000,
  agentTimeoutMs: 300_000,
  agentPollMs: 5_000,
  shutdownTimeoutS: 120,
  tmpDir: tmpdir(),
  sleep: (ms) => delay(ms),
};

export function stepOptions(overrides: Partial<StepOptions> = {}): StepOptions {
  return { ...DEFAULT_STEP_OPTIONS, ...overrides };
}
