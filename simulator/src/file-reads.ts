// The files a state read opens, recorded on request: `phoenix sim serve` keeps the state it parsed and reads it
// again only when one of them changed (api/state-cache.ts). Reads are synchronous, so one recorder at a time.
import { readFileSync } from 'node:fs';

let recording: string[] | undefined;

/** readFileSync(path, 'utf8'), the path noted first (a missing file is a dependency too: it may appear). */
export function readText(path: string): string {
  recording?.push(path);
  return readFileSync(path, 'utf8');
}

/** Runs fn (synchronous) and returns what it returned with every path readText was given meanwhile. */
export function recordReads<T>(fn: () => T): { value: T; files: string[] } {
  const outer = recording;
  const files: string[] = [];
  recording = files;
  try {
    return { value: fn(), files };
  } finally {
    recording = outer;
  }
}
