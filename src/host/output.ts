// A command's output as it arrives: every line goes to the run log at once, and only a bounded tail stays in
// memory, so a script printing gigabytes costs a few MiB, not gigabytes. The result a step parses is that tail
// (commands whose output Phoenix parses print far less than the limit).

/** Bytes of each stream kept in memory (the log gets everything). */
export const OUTPUT_LIMIT = 4 * 1024 * 1024;
/** A line longer than this goes to the log in pieces rather than waiting for its end. */
const MAX_PENDING = 64 * 1024;

export interface StreamTail {
  /** Feed a chunk as it arrives. */
  push(chunk: Buffer | string): void;
  /** Flush the unfinished last line; then `text` and `truncated` are final. */
  end(): void;
  /** The last OUTPUT_LIMIT bytes (at most) of the stream. */
  text(): string;
  /** Whether earlier output was dropped to stay within the limit. */
  readonly truncated: boolean;
}

/** `onLine` gets each complete line (for the log and `--verbose`); memory keeps the tail. */
export function streamTail(onLine: (line: string) => void, limit = OUTPUT_LIMIT): StreamTail {
  const chunks: string[] = [];
  let size = 0;
  let truncated = false;
  let pending = '';
  const keep = (s: string): void => {
    chunks.push(s);
    size += s.length;
    while (size > limit) {
      const first = chunks[0] ?? '';
      const excess = size - limit;
      if (first.length <= excess) {
        chunks.shift();
        size -= first.length;
      } else {
        chunks[0] = first.slice(excess);
        size -= excess;
      }
      truncated = true;
    }
  };
  return {
    push(chunk) {
      const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      keep(s);
      const lines = (pending + s).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
      if (pending.length > MAX_PENDING) {
        onLine(pending);
        pending = '';
      }
    },
    end() {
      if (pending !== '') onLine(pending);
      pending = '';
    },
    text: () => chunks.join(''),
    get truncated() {
      return truncated;
    },
  };
}
