// An in-memory StepCache: for tests, and for runs that must not persist anything.
import type { StepCache, StepRecord } from './cache.js';

export function memoryStepCache(initial: Iterable<[string, StepRecord]> = []): StepCache {
  const records = new Map(initial);
  return {
    get: (address) => records.get(address),
    all: () => records,
    set: (address, record) => {
      records.set(address, record);
      return Promise.resolve();
    },
    delete: (addresses) => {
      for (const a of addresses) records.delete(a);
      return Promise.resolve();
    },
    forgetTarget: (target) => {
      for (const a of [...records.keys()]) if (a.startsWith(`${target}:`)) records.delete(a);
      return Promise.resolve();
    },
  };
}
