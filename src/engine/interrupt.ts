// Ctrl-C (SIGINT) and SIGTERM for the whole of a verb, not just its run: the first one stops cleanly wherever the
// verb is (loading, waiting for the lock, running steps), finished steps stay recorded, the lock is released, and
// the exit code says which signal it was. A second one finds no handler and ends the process at once.
export interface Interrupts {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM (128 + the signal's number); undefined when none came. */
  exitCode(): number | undefined;
  /** Removes the handlers still installed. */
  dispose(): void;
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

export function watchInterrupts(): Interrupts {
  const controller = new AbortController();
  let code: number | undefined;
  const handlers = Object.entries(SIGNALS).map(([name, exit]) => {
    const handler = (): void => {
      code ??= exit;
      controller.abort();
    };
    process.once(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    exitCode: () => code,
    dispose: () => {
      for (const [name, handler] of handlers) process.removeListener(name, handler);
    },
  };
}
