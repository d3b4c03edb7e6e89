// The plain renderers: one line per event (not a TTY, or CI), `verbose` adds each step's report lines, `quiet`
// prints only failures. Output goes to the stream the runner was given, never to console.
import type { StepEvent } from '../run/gate.js';
import { formatDuration } from './run-summary.js';

export type LineMode = 'lines' | 'verbose' | 'quiet';

export interface EventRenderer {
  onEvent(event: StepEvent): void;
  /** Resolves when everything is written (the tree renderer finishes its last frame). */
  end(): Promise<void>;
}

/** One event as one line: `[950:start] ok 1.2s`; undefined when the mode does not show it. */
export function formatEventLine(event: StepEvent, mode: LineMode): string | undefined {
  const tag = `[${event.address}]`;
  switch (event.type) {
    case 'wait':
      return mode === 'verbose' ? `${tag} waiting for ${event.on}` : undefined;
    case 'start':
      return mode === 'quiet' ? undefined : `${tag} start`;
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

export function createLineRenderer(output: NodeJS.WritableStream, mode: LineMode): EventRenderer {
  return {
    onEvent(event) {
      const line = formatEventLine(event, mode);
      if (line !== undefined) output.write(`${line}\n`);
    },
    end: () => Promise.resolve(),
  };
}
