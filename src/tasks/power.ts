// Power actions (start, stop, destroy) on one guest: what each would do, decided from the live state alone, as the
// argv it would run. Stopping is a clean shutdown with a timeout after which Proxmox stops the guest hard
// (`--forceStop 1`); `--force` stops it at once (`pct stop` / `qm stop`: pulling the power plug).
import type { Guest } from '../config/model.js';
import type { Argv } from '../host/argv.js';
import type { LiveGuest } from '../host/live.js';

export type PowerAction = 'start' | 'stop' | 'destroy';

export type PowerDecision =
  { do: 'run'; argv: Argv[]; note: string } | { do: 'skip'; note: string } | { do: 'fail'; note: string };

const tool = (guest: Guest): 'pct' | 'qm' => (guest.kind === 'lxc' ? 'pct' : 'qm');

/** A clean shutdown that waits `shutdown_timeout` seconds, then lets Proxmox stop the guest hard. */
export function shutdownArgv(guest: Guest): Argv {
  return [
    tool(guest),
    'shutdown',
    String(guest.id),
    '--timeout',
    String(guest.config.shutdown_timeout),
    '--forceStop',
    '1',
  ];
}

export const hardStopArgv = (guest: Guest): Argv => [tool(guest), 'stop', String(guest.id)];
export const startArgv = (guest: Guest): Argv => [tool(guest), 'start', String(guest.id)];
export const destroyArgv = (guest: Guest): Argv => [tool(guest), 'destroy', String(guest.id), '--purge', '1'];

/** What a power action would do to one guest. `force`: stop without waiting for a clean shutdown. */
export function decide(
  guest: Guest,
  action: PowerAction,
  live: LiveGuest | undefined,
  opts: { force: boolean },
): PowerDecision {
  const label = `${guest.id} (${guest.kind}, ${guest.config.name})`;
  if (!live) {
    if (action === 'destroy') return { do: 'skip', note: `${label} does not exist; nothing to delete` };
    if (action === 'stop') return { do: 'skip', note: `${label} does not exist; nothing to stop` };
    return {
      do: 'fail',
      note: `${label} does not exist on the host; run 'phoenix create ${guest.id}' first`,
    };
  }
  const running = live.status === 'running';
  switch (action) {
    case 'start':
      if (live.template) return { do: 'skip', note: `${label} is a template; templates are never started` };
      return running
        ? { do: 'skip', note: `${label} is already running` }
        : { do: 'run', argv: [startArgv(guest)], note: `started ${label}` };
    case 'stop':
      if (live.template)
        return { do: 'skip', note: `${label} is a template; templates never run, nothing to stop` };
      if (!running) return { do: 'skip', note: `${label} is already stopped` };
      return opts.force
        ? { do: 'run', argv: [hardStopArgv(guest)], note: `stopped ${label} (forced)` }
        : { do: 'run', argv: [shutdownArgv(guest)], note: `stopped ${label}` };
    case 'destroy':
      // The guest's disks go with it, so a hard stop loses nothing a clean shutdown would have kept.
      return {
        do: 'run',
        argv: running ? [hardStopArgv(guest), destroyArgv(guest)] : [destroyArgv(guest)],
        note: `deleted ${label}`,
      };
  }
}
