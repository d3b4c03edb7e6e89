// The ssh lane: what only root on a node may do (pct exec and push, raw lxc.* lines, root-only settings, host
// scripts) goes to that node as `ssh root@<node> ...`. OpenSSH joins the words after the destination with spaces
// and the node's login shell parses the result, so every word is quoted here and arrives as exactly that word.
// Nothing else: the user's ~/.ssh/config still decides the host name, port, key and jump hosts.
import path from 'node:path';
import type { Argv } from './argv.js';

/** One word quoted for a POSIX shell (itself when it holds nothing the shell would read, else single-quoted). */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line a POSIX shell splits back into exactly `argv`. */
export function shellLine(argv: Argv): string {
  return argv.map(shellQuote).join(' ');
}

export interface SshOptions {
  /** The login on the node: `root` (what the ssh lane exists for). */
  user: string;
  /** The ssh program: `ssh` from PATH (the simulator puts its own first). */
  program: string;
}

export const DEFAULT_SSH: SshOptions = { user: 'root', program: 'ssh' };

/**
 * `ssh -o BatchMode=yes -T -- root@<node> <line>`: BatchMode fails at once when no key is accepted instead of
 * prompting on a terminal nobody watches; -T asks for no terminal; `--` ends ssh's own options, so a node name can
 * never be read as one. `remote` is sent as one shell line (OpenSSH would join the words anyway).
 */
export function sshArgv(node: string, remote: string, ssh: SshOptions = DEFAULT_SSH): Argv {
  return [ssh.program, '-o', 'BatchMode=yes', '-T', '--', `${ssh.user}@${node}`, remote];
}

/** The part of an ssh lane argv that runs on the node (for plans and logs), or undefined when it is not one. */
export function remoteLineOf(argv: Argv): string | undefined {
  if (path.basename(argv[0] ?? '') !== 'ssh') return undefined;
  const dash = argv.indexOf('--');
  return dash < 0 ? undefined : argv.slice(dash + 2).join(' ');
}

/** A file to put on the node for the length of one command: its local path and content. */
export interface ShippedFile {
  /** Absolute path on this machine; on the node it lives at the same path under the command's private folder. */
  local: string;
  content: Buffer;
  mode: number;
}

export interface RemoteScript {
  /** The command to run on the node, as argv (paths of shipped files already rewritten). */
  argv: Argv;
  env?: Record<string, string>;
  cwd?: string;
  /** Files the command reads, shipped inside the script (never on a command line). */
  files?: ShippedFile[];
  /** Text for the command's stdin. */
  input?: string;
}

const HEREDOC = 'PHOENIX_EOF_7f3a9c';

/**
 * A POSIX shell script, fed to `sh -s` on the node's stdin, that runs one command with its files, environment and
 * working folder. Files and values travel in the script, so no secret appears on any command line (the node's
 * process list shows only `sh -s`). Shipped files go to a private folder (mktemp -d, umask 077) that is removed
 * however the command ends; the script's exit status is the command's.
 */
export function remoteScript(s: RemoteScript): string {
  const lines = ['umask 077'];
  const files = s.files ?? [];
  const needsDir = files.length > 0 || s.input !== undefined;
  if (needsDir) {
    lines.push('T=$(mktemp -d "${TMPDIR:-/tmp}/phoenix.XXXXXXXX") || exit 255', 'trap \'rm -rf "$T"\' EXIT');
  }
  for (const f of files) {
    const dest = `"$T/files"${shellQuote(f.local)}`;
    lines.push(`mkdir -p "$(dirname ${dest})" || exit 255`);
    lines.push(`base64 -d > ${dest} <<'${HEREDOC}' || exit 255`, ...base64Lines(f.content), HEREDOC);
    lines.push(`chmod ${(f.mode & 0o777).toString(8)} ${dest}`);
  }
  if (s.input !== undefined) {
    lines.push(
      `base64 -d > "$T/stdin" <<'${HEREDOC}' || exit 255`,
      ...base64Lines(Buffer.from(s.input)),
      HEREDOC,
    );
  }
  for (const [k, v] of Object.entries(s.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`not an environment variable name: ${k}`);
    lines.push(`export ${k}=${withShipped(v, files)}`);
  }
  if (s.cwd !== undefined) lines.push(`cd ${cwdWord(s.cwd, files)} || exit 255`);
  const command = s.argv.map((a) => withShipped(a, files)).join(' ');
  lines.push(`${command} < ${s.input !== undefined ? '"$T/stdin"' : '/dev/null'}`);
  // `exit` with the command's status, so the EXIT trap's rm cannot change it.
  lines.push('exit $?');
  return `${lines.join('\n')}\n`;
}

/** A word for the script: a shipped file's path becomes its place under `$T`, anything else is quoted as is. */
function withShipped(word: string, files: readonly ShippedFile[]): string {
  return files.some((f) => f.local === word) ? `"$T/files"${shellQuote(word)}` : shellQuote(word);
}

/** The working folder: a folder that holds shipped files (the script's own) maps to its place under `$T`. */
function cwdWord(dir: string, files: readonly ShippedFile[]): string {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return dir !== '/' && files.some((f) => f.local.startsWith(prefix))
    ? `"$T/files"${shellQuote(dir)}`
    : shellQuote(dir);
}

function base64Lines(content: Buffer): string[] {
  const text = content.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines;
}
