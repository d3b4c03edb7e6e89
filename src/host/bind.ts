// A view of a HostExec for one running step: every command gets the step's abort signal (Ctrl-C kills it) and
// its address (named in the run log) and, when asked, streams its output lines to the step's report (`--verbose`).
import type { HostExec } from './host.js';

export function bindHost(
  host: HostExec,
  bind: {
    signal?: AbortSignal;
    onOutput?: (line: string) => void;
    step?: string;
    onCommand?: (argv: string[]) => void;
  },
): HostExec {
  return {
    node: host.node,
    run: (argv, opts = {}) =>
      host.run(argv, {
        ...opts,
        ...((opts.step ?? bind.step) !== undefined ? { step: opts.step ?? bind.step } : {}),
        ...((opts.onCommand ?? bind.onCommand) ? { onCommand: opts.onCommand ?? bind.onCommand } : {}),
        ...((opts.signal ?? bind.signal) ? { signal: opts.signal ?? bind.signal } : {}),
        ...((opts.onOutput ?? bind.onOutput) ? { onOutput: opts.onOutput ?? bind.onOutput } : {}),
      }),
    readGuest: (kind, id) => host.readGuest(kind, id),
    readGuestConfig: (kind, id) => host.readGuestConfig(kind, id),
    editGuestConfig: (kind, id, edit, opts = {}) =>
      host.editGuestConfig(kind, id, edit, { ...(bind.step !== undefined && { step: bind.step }), ...opts }),
    withFiles: (files, fn) => host.withFiles(files, fn),
    writeHostFile: (file, content, mode) => host.writeHostFile(file, content, mode),
    statHostPath: (file) => host.statHostPath(file),
    readHostFile: (file) => host.readHostFile(file),
    ensureHostDir: (dir, owner) => host.ensureHostDir(dir, owner),
  };
}
