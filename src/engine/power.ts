// Imperative lifecycle verbs (start, stop, restart, delete): check the live state, then act, one guest at a
// time in the order the verb requires. The argv builders are pure so dry runs print exactly what would run.
import type { Guest } from '../config/model.js';
import type { LiveGuest } from '../host/live.js';
import type { Argv } from '../tasks/step.js';

export type PowerAction = 'start' | 'stop' | 'destroy';

export function powerArgv(guest: Guest, action: PowerAction): Argv {
  const tool = guest.kind === 'lxc' ? 'pct' : 'qm';
  return action === 'destroy'
    ? [tool, 'destroy', String(guest.id), '--purge', '1']
    : [tool, action, String(guest.id)];
}

/** What a power action would do to one guest, decided from the live state alone. */
export type PowerDecision =
  { do: 'run'; argv: Argv[]; note: string } | { do: 'skip'; note: string } | { do: 'fail'; note: string };

export function decide(guest: Guest, action: PowerAction, live: LiveGuest | undefined): PowerDecision {
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
        : { do: 'run', argv: [powerArgv(guest, 'start')], note: `started ${label}` };
    case 'stop':
      if (live.template)
        return { do: 'skip', note: `${label} is a template; templates never run, nothing to stop` };
      return running
        ? { do: 'run', argv: [powerArgv(guest, 'stop')], note: `stopped ${label}` }
        : { do: 'skip', note: `${label} is already stopped` };
    case 'destroy':
      return {
        do: 'run',
        argv: running
          ? [powerArgv(guest, 'stop'), powerArgv(guest, 'destroy')]
          : [powerArgv(guest, 'destroy')],
        note: `deleted ${label}`,
      };
  }
}
