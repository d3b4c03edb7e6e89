// Settings that differ from the config now but not once the guest restarts: Proxmox keeps a change it cannot apply
// to a running guest in the config's pending section (`features`, `cores` and `memory` of a VM, ...) and applies it
// at the next start (pve-container `PVE::LXC::Config::vmconfig_hotplug_pending`, qemu-server
// `vmconfig_hotplug_pending`). `configure` has nothing left to do for them; `phoenix restart` applies them.
import type { Guest } from '../config/model.js';
import type { LiveGuest } from '../host/live.js';
import { configAfterStart } from '../host/live.js';
import { formatValue } from '../plan/describe.js';
import type { Diff } from './step.js';

/** The guest as its next start leaves it: what `configure` compares with, so it never sets a pending value twice. */
export function afterStart<T extends Pick<LiveGuest, 'config' | 'pending'>>(live: T): T {
  return live.pending ? { ...live, config: configAfterStart(live) } : live;
}

/** Diffs against the current values whose field no longer differs after the next start. */
export function pendingOnly(current: readonly Diff[], afterStartDiffs: readonly Diff[]): Diff[] {
  const open = new Set(afterStartDiffs.map((d) => d.field));
  return current.filter((d) => !open.has(d.field));
}

/** `features nesting=0 -> nesting=1, memory 2048 -> 4096` */
export function describePending(diffs: readonly Diff[]): string {
  return diffs.map((d) => `${d.field} ${formatValue(d.actual)} -> ${formatValue(d.desired)}`).join(', ');
}

/** What a run reports when a change it made waits for the guest's next start. */
export function pendingNote(g: Guest, diffs: readonly Diff[]): string {
  const label = `${g.kind === 'lxc' ? 'CT' : 'VM'} ${g.id}`;
  return `pending until ${label} restarts: ${describePending(diffs)} ('phoenix restart ${g.id}' applies it)`;
}
