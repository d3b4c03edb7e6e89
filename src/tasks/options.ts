// Timings and places the step actions use; defaults follow the original orchestrator, tests shorten them.
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
  /** Pauses between attempts (ended early by `signal`); injected so tests do not wait. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Milliseconds from the environment (PHOENIX_START_PAUSE_MS, PHOENIX_AGENT_*_MS), else the default: tests shorten them. */
function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

export const DEFAULT_STEP_OPTIONS: StepOptions = {
  startAttempts: 3,
  startPauseMs: envMs('PHOENIX_START_PAUSE_MS', 5_000),
  agentTimeoutMs: envMs('PHOENIX_AGENT_TIMEOUT_MS', 300_000),
  agentPollMs: envMs('PHOENIX_AGENT_POLL_MS', 5_000),
  shutdownTimeoutS: 120,
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
};

export function stepOptions(overrides: Partial<StepOptions> = {}): StepOptions {
  return { ...DEFAULT_STEP_OPTIONS, ...overrides };
}
