// Run ids, the run log file (`.phoenixcache/logs/<run>.log`, mode 0600) and the redaction shared with the host
// backend: every command line and its output land in the log, never a secret.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A sortable run id: `20250102-030405-ab12`. */
export function newRunId(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${date}-${time}-${randomBytes(2).toString('hex')}`;
}

/** `<cacheDir>/logs/<runId>.log` (cacheDir is usually `.phoenixcache`). */
export function runLogPath(cacheDir: string, runId: string): string {
  return join(cacheDir, 'logs', `${runId}.log`);
}

/** A fresh run's log path: `<cacheDir>/logs/<new run id>.log` (the file is created on the first write). */
export function newRunLog(cacheDir: string, now: Date = new Date()): string {
  return runLogPath(cacheDir, newRunId(now));
}

/** Options whose value is a secret on the pct/qm/pvesh command line. */
const SECRET_FLAGS = new Set(['--password', '--cipassword']);
/** Options whose value is key text (through pvesh/API) or a file path (pct/qm CLI): redacted unless a path. */
const KEY_FLAGS = new Set(['--sshkeys', '--ssh-public-keys']);
const MASK = '***';

export type Redactor = {
  /** Mask configured secret values and API tokens in free text (output, messages). */
  text(s: string): string;
  /** Mask secret option values in a command line, then apply `text` to every argument. */
  argv(argv: readonly string[]): string[];
  /** This redactor plus the secret option values of `argv`, so a program echoing them is masked too. */
  forCommand(argv: readonly string[]): Redactor;
};

/** Secrets shorter than this are not masked in free text: masking `1` or `on` would garble every log line. */
const MIN_SECRET_LENGTH = 4;

export function createRedactor(secrets: readonly string[] = []): Redactor {
  const values = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  const text = (s: string): string => {
    let out = s.replace(/PVEAPIToken=\S+/g, `PVEAPIToken=${MASK}`);
    for (const v of values) out = out.split(v).join(MASK);
    return out;
  };
  const argv = (args: readonly string[]): string[] => {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] ?? '';
      const [flag, inline] = splitInline(arg);
      if (isSecretFlag(flag)) {
        if (inline !== undefined) out.push(`${flag}=${maskValue(flag, inline)}`);
        else {
          out.push(arg);
          if (i + 1 < args.length) out.push(maskValue(flag, args[++i] ?? ''));
        }
        continue;
      }
      out.push(text(arg));
    }
    return out;
  };
  const forCommand = (args: readonly string[]): Redactor => {
    const found = secretValues(args);
    return found.length === 0 ? self : createRedactor([...secrets, ...found]);
  };
  const self: Redactor = { text, argv, forCommand };
  return self;
}

/** A command line with secret option values (`--cipassword`, `--password`, key text) replaced by `***`. */
export function maskSecretArgs(argv: readonly string[]): string[] {
  return createRedactor().argv(argv);
}

/** The values of secret options in a command line (`--password X`, `--cipassword=X`, key text). */
function secretValues(args: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitInline(args[i] ?? '');
    if (!isSecretFlag(flag)) continue;
    const value = inline ?? args[i + 1];
    if (value !== undefined && maskValue(flag, value) === MASK) found.push(value);
  }
  return found;
}

function splitInline(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

function isSecretFlag(flag: string): boolean {
  return SECRET_FLAGS.has(flag) || KEY_FLAGS.has(flag);
}

function maskValue(flag: string, value: string): string {
  // On the pct/qm CLI the key options take a file path, which is worth keeping in the log.
  if (KEY_FLAGS.has(flag) && value.startsWith('/')) return value;
  return MASK;
}

/** Quote a command line for the log (for people; it is never executed). */

export interface RunLog {
  readonly path: string;
  /** Append text (a newline is added when missing). Synchronous so that a crash or Ctrl-C loses nothing. */
  write(text: string): void;
  close(): void;
}

/**
 * The run log: created lazily (folder included) with mode 0600, appended to, never truncated. Without a path
 * (a verb that changes nothing: plan, why, status, graph, validate, a dry run) nothing is written.
 */
export function openRunLog(path: string | undefined): RunLog {
  let fd: number | undefined;
  return {
    path: path ?? '',
    write(text: string) {
      if (path === undefined) return;
      if (fd === undefined) {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        // Never through a link: the log holds every command line and its output.
        fd = openSync(
          path,
          constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
          0o600,
        );
      }
      writeSync(fd, text.endsWith('\n') ? text : `${text}\n`);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
