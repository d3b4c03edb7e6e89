// Changes Phoenix refuses to make without --replace: they would destroy a guest or a snapshot clones rely on.
import type { Fleet } from '../config/model.js';
import type { LiveState } from '../host/live.js';
import type { Diff, LiveCheck } from '../tasks/step.js';
import type { StaleReason } from './types.js';
import { formatValue } from './describe.js';

/**
 * `define` inputs that cannot change without destroying the guest (Proxmox has no in-place change for them).
 * Other define inputs (name, MAC) are applied in place and re-run `define` as a plain stale step.
 */
export const REPLACE_FIELDS: readonly string[] = [
  'template',
  'template_image',
  'storage_pool',
  'unprivileged',
  'clone_from',
  'clone_from_ctid',
  'clone_from_vmid',
  'clone_snapshot',
];

/** Why a step cannot run as planned. `guest`: only re-creating the guest helps; `snapshot`: clones depend on it. */
export interface BlockCause {
  scope: 'guest' | 'snapshot';
  message: string;
}

export interface BlockFacts {
  kind: string;
  target: number | 'host';
  reasons: readonly StaleReason[];
  check: LiveCheck;
  inputs: Record<string, unknown>;
}

export function blockCause(step: BlockFacts, fleet: Fleet, live: LiveState): BlockCause | undefined {
  if (step.target === 'host' || !live.guests.has(step.target)) return undefined;
  const changed = step.reasons.flatMap((r) => (r.type === 'input-changed' ? r.diffs : []));
  // Another incarnation under the same ID is not the guest Phoenix built: renaming it, reconfiguring it and
  // handing it the application would take over someone else's guest. Only --replace may re-create it.
  const recreated = step.reasons.find((r) => r.type === 'recreated');
  if (step.kind === 'define' && recreated?.type === 'recreated')
    return { scope: 'guest', message: `${recreated.detail}; it may not be the guest Phoenix built` };
  if (step.kind === 'define') {
    const fields = changed.filter((d) => REPLACE_FIELDS.includes(topField(d.field)));
    if (fields.length > 0) return { scope: 'guest', message: describeDiffs(fields) };
  }
  // The step table knows drift that no in-place change can fix (wrong storage, disk larger than configured).
  if (step.check.ok === false && step.check.reason === 'drift' && step.check.needsReplace)
    return { scope: 'guest', message: step.check.needsReplace };
  if (templatedVmChange(step, live)) {
    return {
      scope: 'guest',
      message: `VM ${step.target} is already a template; its ${step.kind} step can only re-run by re-creating it`,
    };
  }
  const drift = step.check.ok === false && step.check.reason === 'drift' ? step.check.diffs : [];
  const shrinks = [...drift, ...changed].filter(isShrink);
  if (shrinks.length > 0)
    return { scope: 'guest', message: `cannot shrink ${describeDiffs(shrinks.slice(0, 1))}` };
  if (step.kind === 'snapshot' && retakes(step)) return snapshotCause(step, fleet, live);
  return undefined;
}

/** A VM template is read-only to Proxmox: steps that act inside the running VM can no longer run. */
function templatedVmChange(step: BlockFacts, live: LiveState): boolean {
  if (step.target === 'host') return false;
  const g = live.guests.get(step.target);
  const insideVm = ['start', 'agent', 'feature', 'snapshot'].includes(step.kind);
  return (
    g?.kind === 'vm' && g.template && insideVm && step.reasons.some((r) => CONTENT_CHANGES.includes(r.type))
  );
}

/** Reasons that mean the step would now do something different from what it did. */
const CONTENT_CHANGES: readonly StaleReason['type'][] = [
  'input-changed',
  'script-changed',
  'upstream',
  'forced',
  'format-changed',
  'failed',
];

/** Stale for a reason that changes what the snapshot would hold, while the snapshot is still there. */
function retakes(step: BlockFacts): boolean {
  const exists = !(step.check.ok === false && step.check.reason === 'missing');
  const changes = step.reasons.some((r) => CONTENT_CHANGES.includes(r.type));
  return exists && changes;
}

function snapshotCause(step: BlockFacts, fleet: Fleet, live: LiveState): BlockCause | undefined {
  const clones = [...fleet.guests.values()]
    .filter((g) => g.cloneFrom === step.target && live.guests.has(g.id))
    .map((g) => g.id);
  if (clones.length === 0) return undefined;
  const name =
    typeof step.inputs['template_snapshot_name'] === 'string'
      ? ` ${step.inputs['template_snapshot_name']}`
      : '';
  return {
    scope: 'snapshot',
    message: `re-takes snapshot${name} that clones ${clones.join(', ')} were made from`,
  };
}

/** A size-like field (`storage_size_gb`, `disk_size_gb`, `zfs_volumes.0.size_gb`) going down. */
function isShrink(d: Diff): boolean {
  if (!/size/i.test(d.field.split('.').at(-1) ?? '')) return false;
  const actual = toNumber(d.actual);
  const desired = toNumber(d.desired);
  return actual !== undefined && desired !== undefined && actual > desired;
}

const UNITS: Record<string, number> = { '': 1, K: 1 / 1024 ** 2, M: 1 / 1024, G: 1, T: 1024 };

/** Numbers, or Proxmox sizes like `8G` / `512M`, in GiB. */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(v.trim()) : null;
  return m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : undefined;
}

function topField(field: string): string {
  return field.split('.')[0]!;
}

function describeDiffs(diffs: readonly Diff[]): string {
  return diffs.map((d) => `${d.field} ${formatValue(d.actual)} -> ${formatValue(d.desired)}`).join(', ');
}
