// The CLI in-process, its output captured: `dispatch` with an Output that keeps what it printed, no preferences
// (a folder that does not exist) and no TTY.
import { dispatch } from '../../src/cli/main.js';
import type { Output } from '../../src/reporters/output.js';

export interface Dispatched {
  code: number;
  out: string;
  err: string;
}

export async function dispatchCaptured(
  argv: string[],
  { cwd = '/', env = {} }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Dispatched> {
  let out = '';
  let err = '';
  const io: Output = {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: false,
    color: false,
  };
  const code = await dispatch(argv, io, { PHOENIX_PREFS_DIR: '/nonexistent-prefs', ...env }, cwd);
  return { code, out, err };
}
