// The TTY renderer: listr2's default tree, one task per step the run executes. The scheduler decides when a step
// runs; each listr2 task only mirrors it (title, report lines as task output, ok / failed / skipped).
import type { ListrTaskWrapper } from 'listr2';
import type { PlannedStep } from '../plan/types.js';
import type { StepEvent } from '../run/schedule.js';
import type { EventRenderer } from './run-lines.js';
import { formatDuration } from './run-summary.js';

type Outcome = { type: 'ok' } | { type: 'skip'; reason: string } | { type: 'fail'; message: string };

interface Slot {
  wrapper?: { title: string; output: string; skip(message?: string): void };
  title: string;
  output?: string;
  finish(outcome: Outcome): void;
  outcome: Promise<Outcome>;
}

export async function createTreeRenderer(
  steps: readonly PlannedStep[],
  output: NodeJS.WritableStream,
  opts: { verbose: boolean },
): Promise<EventRenderer> {
  const { Listr, ListrLogger, ProcessOutput, color } = await import('listr2');
  const stream = output as NodeJS.WriteStream;
  // Both renderers write to the given stream (the CLI passes stderr), not to process.stdout.
  const logger = () =>
    new ListrLogger({ useIcons: true, toStderr: [], processOutput: new ProcessOutput(stream, stream) });
  const slots = new Map<string, Slot>();
  for (const step of steps) {
    let finish!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (finish = resolve));
    slots.set(step.address, { title: `${step.address} ${color.dim('waiting')}`, finish, outcome });
  }
  const listr = new Listr(
    steps.map((step) => ({
      title: slots.get(step.address)?.title ?? step.address,
      task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
        const slot = slots.get(step.address);
        if (!slot) return;
        slot.wrapper = task;
        task.title = slot.title;
        if (slot.output !== undefined) task.output = slot.output;
        const o = await slot.outcome;
        if (o.type === 'skip') task.skip(o.reason);
        if (o.type === 'fail') throw new Error(o.message);
      },
      rendererOptions: { outputBar: opts.verbose ? 10 : 1, persistentOutput: false },
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false, // The runner handles Ctrl-C: it must stop steps cleanly, not exit.
      renderer: 'default',
      fallbackRenderer: 'simple',
      fallbackRendererCondition: () => stream.isTTY !== true,
      rendererOptions: {
        collapseSubtasks: false,
        collapseErrors: false,
        collapseSkips: false,
        showSkipMessage: true,
        logger: logger(),
      },
      fallbackRendererOptions: { logger: logger() },
    },
  );
  const running = listr.run().catch(() => undefined);

  const update = (address: string, change: (slot: Slot) => void) => {
    const slot = slots.get(address);
    if (!slot) return;
    change(slot);
    if (slot.wrapper) {
      slot.wrapper.title = slot.title;
      if (slot.output !== undefined) slot.wrapper.output = slot.output;
    }
  };
  return {
    onEvent(event: StepEvent) {
      switch (event.type) {
        case 'start':
          return update(event.address, (s) => (s.title = event.address));
        case 'output':
          return update(event.address, (s) => (s.output = event.line));
        // Durations are the step's own: listr2's timer would count the time a task waited for its turn.
        case 'success':
          update(
            event.address,
            (s) => (s.title = `${event.address} ${color.dim(formatDuration(event.durationMs))}`),
          );
          return slots.get(event.address)?.finish({ type: 'ok' });
        case 'failure':
          update(
            event.address,
            (s) => (s.title = `${event.address} ${color.dim(formatDuration(event.durationMs))}`),
          );
          return slots.get(event.address)?.finish({ type: 'fail', message: event.failure.message });
        case 'skip':
          update(event.address, (s) => (s.title = event.address));
          return slots.get(event.address)?.finish({ type: 'skip', reason: event.reason });
      }
    },
    async end() {
      // Every slot gets a terminal event from the scheduler; settle any left over so listr2 can finish.
      for (const slot of slots.values()) slot.finish({ type: 'skip', reason: 'not started' });
      await running;
    },
  };
}
