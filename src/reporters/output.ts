// Where a verb prints: results on stdout, diagnostics and progress on stderr. The CLI makes one for the process;
// tests pass their own.
export interface Output {
  /** Normal output (results, tables, JSON). */
  out(text: string): void;
  /** Diagnostics: progress, warnings, errors. */
  err(text: string): void;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
  color: boolean;
}

export function processOutput(env: NodeJS.ProcessEnv): Output {
  const isTTY = Boolean(process.stdout.isTTY) && !env.CI;
  const out = writer(process.stdout);
  const err = writer(process.stderr);
  return {
    out: (t) => out(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => err(t.endsWith('\n') ? t : `${t}\n`),
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY,
    color: isTTY && !('NO_COLOR' in env) && env.TERM !== 'dumb',
  };
}

/** Writes to a stream until its reader goes away (EPIPE), then drops what follows instead of failing again. */
function writer(stream: NodeJS.WriteStream): (text: string) => void {
  let gone = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') gone = true;
  });
  return (text) => {
    if (!gone) stream.write(text);
  };
}

/**
 * Where a result line for people goes: stdout, or stderr under `--json`, where the one JSON document is the whole
 * of stdout (notes such as `950 is already running`, a test runner's report).
 */
export function peopleOut(io: Output, json: boolean): (text: string) => void {
  return (text) => (json ? io.err(text) : io.out(text));
}
