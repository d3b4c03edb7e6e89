// What a verb handler receives: its words, the resolved options, and where to print.
import type { VerbSpec } from './verbs.js';

export interface ResolvedOptions {
  config?: string;
  sim: boolean;
  simDir?: string;
  dryRun: boolean;
  json: boolean;
  concurrency: number;
  keepGoing: boolean;
  force: boolean;
  replace: boolean;
  yes: boolean;
  cascade: boolean;
  cache: boolean;
  wait: boolean;
  suite?: string;
  wipeDisks: boolean;
  format?: string;
  detailedExitcode: boolean;
  renderer: 'tree' | 'lines' | 'verbose' | 'quiet';
  verbose: boolean;
  quiet: boolean;
}

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

export interface CommandContext {
  verb: VerbSpec;
  /** Positional words after the verb (guest IDs, step addresses, sub-verbs). */
  words: string[];
  options: ResolvedOptions;
  io: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The full argv, for the lock holder's description. */
  argv: string[];
}

export function processOutput(env: NodeJS.ProcessEnv): Output {
  const isTTY = Boolean(process.stdout.isTTY) && !env.CI;
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY,
    color: isTTY && !('NO_COLOR' in env) && env.TERM !== 'dumb',
  };
}
