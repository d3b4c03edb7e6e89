// What a write handler refuses before it forks its worker: then the API answers a plain error (HTTP 500) and no
// task exists, where the simulated command run behind a UPID would have failed as a task. Pure: the action and the
// source guest's current config in, the refusal out.
//
// Clones: pve-container `src/PVE/API2/LXC.pm` `clone_vm` takes `set_lock($vmid, 'disk')` on the source in the
// handler, and qemu-server `src/PVE/API2/Qemu.pm` `clone_vm` runs `$load_and_check` ("early checks before
// forking/locking", `check_lock`) in it; both die with pve-guest-common `AbstractConfig::check_lock`'s
// `CT is locked (<lock>)` / `VM is locked (<lock>)` while the source holds any lock.
import type { Refusal } from './root-only.js';

export function preForkRefusal(
  action: { type: string },
  source: Record<string, string> | undefined,
): Refusal | undefined {
  const kind = action.type === 'vzclone' ? 'CT' : action.type === 'qmclone' ? 'VM' : undefined;
  if (kind === undefined || source?.lock === undefined || source.lock === '') return undefined;
  return { status: 500, message: `${kind} is locked (${source.lock})\n` };
}
