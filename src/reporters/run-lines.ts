// The plain renderers: one line per event (not a TTY, or CI), `verbose` adds each step's report lines, `quiet`
// prints only failures. Output goes to the stream the runner was given, never to console.
import { describeReason } from '../plan/describe.js';
import type { PlannedStep } from '../plan/types.js';
import type { StepEvent } from '../run/gate.js';
import { formatDuration } from './run-summary.js';

/** Longest reason shown when a step starts; `phoenix why` has the whole of it. */
const REASON_WIDTH = 60;

/**
 * Why a step runs, in a few words, for the line or the tree row where it starts: its first stale reason
 * (`config changed: memory_mb`). None for a requested step (a start, a test run): the verb asked for it.
 */
export function startReason(step: PlannedStep | undefined): string | undefined {
  const first = step?.requested ? undefined : step?.reasons[0];
  if (first === undefined) return undefined;
  const text = describeReason(first).split('\n')[0] ?? '';
  return text.length > REASON_WIDTH ? `${text.slice(0, REASON_WIDTH - 1)}…` : text;
}

export type LineMode = 'lines' | 'verbose' | 'quiet';

export interface EventRenderer {
  onEvent(event: StepEvent): void;
  /** Resolves when everything is written (the tree renderer finishes its last frame). */
  end(): Promise<void>;
}

/**
 * One event as one line: `[950:configure] start: config changed: memory_mb`, `[950:start] ok 1.2s`; undefined when
 * the mode does not show it. `reason`: why the step runs (startReason), shown when it starts.
 */
export function formatEventLine(event: StepEvent, mode: LineMode, reason?: string): string | undefined {
  const tag = `[${event.address}]`;
  switch (event.type) {
    case 'wait':
      return mode === 'verbose' ? `${tag} waiting for ${event.on}` : undefined;
    case 'start':
      return mode === 'quiet' ? undefined : `${tag} start${reason === undefined ? '' : `: ${reason}`}`;
    case 'output':
      return mode === 'verbose' ? `${tag} | ${event.line}` : undefined;
    case 'success':
      return mode === 'quiet' ? undefined : `${tag} ok ${formatDuration(event.durationMs)}`;
    case 'failure':
      return `${tag} FAILED ${formatDuration(event.durationMs)}: ${event.failure.message}`;
    case 'skip':
      return mode === 'quiet' ? undefined : `${tag} skipped: ${event.reason}`;
  }
}

export function createLineRenderer(
  output: NodeJS.WritableStream,
  mode: LineMode,
  reasonOf: (address: string) => string | undefined = () => undefined,
): EventRenderer {
  return {
    onEvent(event) {
      const line = formatEventLine(event, mode, event.type === 'start' ? reasonOf(event.address) : undefined);
      if (line !== undefined) output.write(`${line}\n`);
    },
    end: () => Promise.resolve(),
  };
}
