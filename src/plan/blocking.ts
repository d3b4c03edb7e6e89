// Changes Phoenix refuses to make without --replace (they destroy and re-create a guest), and the few it refuses
// even with it (Proxmox would refuse them half-way: a base volume linked clones sit on).
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

/**
 * Why a step cannot run as planned. `guest`: only re-creating the guest helps (--replace does it); `refused`: not
 * even that, the message says what to do first.
 */
export interface BlockCause {
  scope: 'guest' | 'refused';
  message: string;
}

export interface BlockFacts {
  kind: string;
  target: number | 'host';
  reasons: readonly StaleReason[];
  check: LiveCheck;
  inputs: Record<string, unknown>;
}

export function blockCause(step: BlockFacts, live: LiveState): BlockCause | undefined {
  const target = step.target;
  if (target === 'host' || !live.guests.has(target)) return undefined;
  const cause = ownCause({ ...step, target }, live);
  if (cause === undefined || cause.scope === 'refused') return cause;
  // Proxmox cannot destroy a guest whose base volumes linked clones sit on.
  const linked = linkedClones(target, live);
  if (linked.length === 0) return cause;
  return {
    scope: 'refused',
    message:
      `${cause.message}; but ${linked.join(', ')} ${linked.length === 1 ? 'is a linked clone' : 'are linked clones'} ` +
      `of ${target} (on its base volumes), so it cannot be re-created while ${linked.length === 1 ? 'it exists' : 'they exist'}: ` +
      `delete ${linked.length === 1 ? 'it' : 'them'} first (phoenix delete ${linked.join(' ')} --yes)`,
  };
}

function ownCause(step: BlockFacts & { target: number }, live: LiveState): BlockCause | undefined {
  const changed = step.reasons.flatMap((r) => (r.type === 'input-changed' ? r.diffs : []));
  // Another incarnation under the same ID is not the guest Phoenix built: renaming it, reconfiguring it and
  // handing it the application would take over someone else's guest. Only --replace may re-create it.
  const recreated = step.reasons.find((r) => r.type === 'recreated');
  if (step.kind === 'define' && recreated?.type === 'recreated')
    return { scope: 'guest', message: `${recreated.detail}; it may not be the guest Phoenix built` };
  if (step.kind === 'define') {
    const fields = changed.filter((d) => REPLACE_FIELDS.includes(topField(d.field)));
    if (fields.length > 0) return { scope: 'guest', message: describeDiffs(fields) };
    const older = step.reasons.find((r) => r.type === 'older-source');
    if (older?.type === 'older-source')
      return { scope: 'guest', message: `built from an older ${older.address}: ${older.detail}` };
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
  if (step.kind === 'snapshot' && retakes(step)) return snapshotCause(step, live);
  return undefined;
}

/**
 * Guests whose disks sit on base volumes of `id` (`local-lvm:base-900-disk-0/vm-950-disk-0`): linked clones. A
 * linked clone made from a snapshot (`--full 0 --snapname`, LVM-thin or Ceph) carries no such mark; Phoenix never
 * makes one (a clone of a guest that is not a template is a full copy).
 */
export function linkedClones(id: number, live: LiveState): number[] {
  const base = new RegExp(`(?:^|[:/])base(?:vol)?-${id}-disk-\\d+[^/,]*/`);
  const out: number[] = [];
  for (const g of live.guests.values()) {
    if (g.id === id || g.config === undefined) continue;
    if (Object.values(g.config).some((v) => base.test(v.split(',')[0] ?? ''))) out.push(g.id);
  }
  return out.sort((a, b) => a - b);
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
export const CONTENT_CHANGES: readonly StaleReason['type'][] = [
  'input-changed',
  'script-changed',
  'upstream',
  'forced',
  'format-changed',
  'failed',
];

/**
 * Reasons that make a step redo its work over a result it finds in place (StepContext.redo). Not a change of
 * Phoenix's own fingerprint format: that says nothing about what the step would produce.
 */
export const REDO_REASONS: readonly StaleReason['type'][] = [
  'input-changed',
  'script-changed',
  'upstream',
  'forced',
  'failed',
];

export const redoes = (reasons: readonly StaleReason[]): boolean =>
  reasons.some((r) => REDO_REASONS.includes(r.type));

/** A snapshot step that will delete and take again a snapshot that is there. */
export function retakes(step: Pick<BlockFacts, 'check' | 'reasons'>): boolean {
  const exists = !(step.check.ok === false && step.check.reason === 'missing');
  return exists && redoes(step.reasons);
}

/** Deleting a snapshot full clones were made from is safe; linked clones of it are refused. */
function snapshotCause(step: BlockFacts & { target: number }, live: LiveState): BlockCause | undefined {
  const linked = linkedClones(step.target, live);
  if (linked.length === 0) return undefined;
  const name = snapshotName(step.inputs);
  return {
    scope: 'refused',
    message:
      `re-taking snapshot ${name} of ${step.target} would delete what linked clones ${linked.join(', ')} sit on: ` +
      `delete them first (phoenix delete ${linked.join(' ')} --yes)`,
  };
}

export const snapshotName = (inputs: Record<string, unknown>): string =>
  typeof inputs['template_snapshot_name'] === 'string' ? inputs['template_snapshot_name'] : '(unnamed)';

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
