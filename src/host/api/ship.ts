// What an ssh-lane command sends to the node. A plain Proxmox command (`pct exec`, `pct set` with a root-only key)
// is one quoted shell line. A command that needs something from this machine travels as a script on ssh's stdin
// (ssh.ts remoteScript): `pct push` carries the local file, a host script carries itself, and either carries its
// environment, working folder and stdin, so nothing secret appears on a command line.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Argv } from '../argv.js';
import type { RunOptions } from '../host.js';
import { err, ok, type Result } from '../../result.js';
import { remoteScript, shellLine, type ShippedFile } from '../ssh.js';
import type { Route } from './commands.js';
import { isPveTool } from './commands.js';

export interface Shipment {
  /** The script for `ssh ... sh -s`, when the command needs files, environment, a folder or stdin. */
  script?: string;
  /** The one shell line to run, when it needs nothing else. */
  plain?: string;
}

async function shipFile(local: string): Promise<Result<ShippedFile, string>> {
  try {
    const [content, info] = await Promise.all([readFile(local), stat(local)]);
    return ok({ local, content, mode: info.mode });
  } catch (e) {
    return err(`cannot read ${local}: ${(e as Error).message}`);
  }
}

/** The shipment of one ssh-lane command (its route already chose the node). */
export async function shipScript(
  route: Extract<Route, { lane: 'ssh' }>,
  argv: Argv,
  ro: RunOptions,
): Promise<Result<Shipment, string>> {
  const files: ShippedFile[] = [];
  // A host script (a path) is a file on this machine: it goes along; a bare program name (wget) is the node's own.
  // `pct push`'s source file goes along too.
  const script = !isPveTool(route.argv) && isAbsolute(route.argv[0] ?? '') ? [route.argv[0] ?? ''] : [];
  const locals = [...script, ...(route.push ? [route.push] : [])];
  for (const local of locals) {
    const f = await shipFile(local);
    if (!f.ok) return f;
    files.push(f.value);
  }
  const simple = files.length === 0 && ro.input === undefined && ro.env === undefined && ro.cwd === undefined;
  if (simple) return ok({ plain: shellLine(argv) });
  return ok({
    script: remoteScript({
      argv: route.argv,
      files,
      ...(ro.env !== undefined && { env: ro.env }),
      ...(ro.cwd !== undefined && { cwd: ro.cwd }),
      ...(ro.input !== undefined && { input: ro.input }),
    }),
  });
}
