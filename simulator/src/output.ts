// A simulated tool's stdout/stderr, written with fs.writeSync. Setting up process.stdout costs 2-4 ms (the
// streams stack, plus net for a pipe), a fifth of what a whole `pct list` adds to bare Node; for files and pipes
// those streams write synchronously on Linux anyway. A non-blocking descriptor that fills up (EAGAIN) hands the
// rest, and every later write, to the streams, which queue it and drain before the process exits.
import { writeSync } from 'node:fs';

let viaStreams = false;

export function write(fd: 1 | 2, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (!viaStreams && off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      viaStreams = true;
    }
  }
  if (off < buf.length) (fd === 1 ? process.stdout : process.stderr).write(buf.subarray(off));
}
