// Ctrl-C (SIGINT) and SIGTERM for the whole of a verb, not just its run: the first one stops cleanly wherever the
// verb is (loading, waiting for the lock, running steps), finished steps stay recorded, the lock is released, and
// the exit code says which signal it was. A second one ends the process at once, by that signal.
// The handlers stay installed until disposed (`on`, not `once`): signal-exit (execa's and proper-lockfile's) re-raises
// a signal it finds nobody else handling, which would kill the process right after the first Ctrl-C.
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
  const dispose = (): void => {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  };
  const handlers = Object.entries(SIGNALS).map(([name, exit]) => {
    const handler = (): void => {
      if (code === undefined) {
        code = exit;
        controller.abort();
        return;
      }
      dispose();
      process.kill(process.pid, name);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return { signal: controller.signal, exitCode: () => code, dispose };
}
