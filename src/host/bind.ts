// A view of a HostExec for one running step: every command gets the step's abort signal (Ctrl-C kills it) and,
// when asked, streams its output lines to the step's report (`--verbose`).
import type { HostExec } from './host.js';

export function bindHost(
  host: HostExec,
  bind: { signal?: AbortSignal; onOutput?: (line: string) => void },
): HostExec {
  return {
    node: host.node,
    run: (argv, opts = {}) =>
      host.run(argv, {
        ...opts,
        ...((opts.signal ?? bind.signal) ? { signal: opts.signal ?? bind.signal } : {}),
        ...((opts.onOutput ?? bind.onOutput) ? { onOutput: opts.onOutput ?? bind.onOutput } : {}),
      }),
    readGuest: (kind, id) => host.readGuest(kind, id),
    readGuestConfig: (kind, id) => host.readGuestConfig(kind, id),
    editGuestConfig: (kind, id, edit) => host.editGuestConfig(kind, id, edit),
    withFiles: (files, fn) => host.withFiles(files, fn),
    writeHostFile: (file, content, mode) => host.writeHostFile(file, content, mode),
  };
}
