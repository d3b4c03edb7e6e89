// A pause that an abort cuts short: true when it ran its course, false when the signal stopped it.
import { setTimeout as delay } from 'node:timers/promises';

export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return delay(ms, undefined, signal ? { signal } : {}).then(
    () => true,
    () => false,
  );
}
