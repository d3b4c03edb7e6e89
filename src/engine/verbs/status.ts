// `phoenix status [ids...]`: one row per guest: ID, kind, name, exists, running, drift, stale steps.
import type { MovedGuest, Plan, PlannedStep } from '../../plan/types.js';
import { movedText } from '../../reporters/plan.js';
import type { LiveState } from '../../host/live.js';
import type { Fleet } from '../../config/model.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withPlan } from './plan-common.js';
import { formatTable } from '../../reporters/table.js';

export interface StatusRow {
  id: number;
  kind: string;
  name: string;
  exists: boolean;
  running: boolean;
  drift: string[];
  /** Steps whose settings wait for a restart (Proxmox's pending section). */
  pendingRestart: string[];
  stale: number;
  blocked: number;
  /** Set when the guest is a clone made from a build its source no longer has: the source step. */
  olderSource?: string;
  /** A cluster: the node that holds it. */
  node?: string;
  /** Found on another node than the config or an earlier placement says (HA, a migration): worked on there. */
  moved?: Omit<MovedGuest, 'id' | 'kind'>;
}

export function statusRows(fleet: Fleet, plan: Plan, live: LiveState, ids: number[]): StatusRow[] {
  // One pass over the steps, not one per guest: a 3,000-guest fleet has about 29,000 of them.
  const byGuest = new Map<number | 'host', PlannedStep[]>();
  for (const s of plan.steps) {
    const list = byGuest.get(s.target);
    if (list) list.push(s);
    else byGuest.set(s.target, [s]);
  }
  return ids.map((id) => {
    const guest = fleet.guests.get(id);
    const lg = live.guests.get(id);
    const steps = byGuest.get(id) ?? [];
    const older = steps.flatMap((s) => s.reasons).find((r) => r.type === 'older-source');
    const moved = plan.moved?.find((m) => m.id === id);
    return {
      id,
      kind: guest?.kind ?? '?',
      name: guest?.config.name ?? '',
      exists: lg !== undefined,
      running: lg?.status === 'running',
      drift: steps.filter((s) => s.reasons.some((r) => r.type === 'drift')).map((s) => s.name),
      pendingRestart: steps.filter((s) => s.pendingRestart !== undefined).map((s) => s.name),
      stale: steps.filter((s) => s.status === 'stale').length,
      blocked: steps.filter((s) => s.status === 'blocked').length,
      ...(older?.type === 'older-source' && { olderSource: older.address }),
      ...(lg?.node !== undefined && { node: lg.node }),
      ...(moved && { moved: { from: moved.from, to: moved.to, configured: moved.configured } }),
    };
  });
}

export function run(ctx: VerbContext): Promise<number> {
  return withPlan(ctx, (planned, _session, fleet) => {
    const ids = [...new Set(planned.addresses.map((a) => a.split(':')[0]))]
      .filter((t) => t !== 'host')
      .map(Number);
    const rows = statusRows(fleet, planned.plan, planned.live, ids);
    if (ctx.options.json) {
      ctx.io.out(JSON.stringify(rows, null, 2));
      return EXIT.ok;
    }
    const yn = (b: boolean): string => (b ? 'yes' : 'no');
    // On a cluster, the node each guest is on (a moved one marked).
    const nodes = rows.some((r) => r.node !== undefined);
    const head = [
      'ID',
      'kind',
      'name',
      ...(nodes ? ['node'] : []),
      'exists',
      'running',
      'drift',
      'stale steps',
    ];
    const cells = rows.map((r) => [
      r.id,
      r.kind,
      r.name,
      ...(nodes ? [r.moved ? `${r.node ?? ''} (moved from ${r.moved.from})` : (r.node ?? '-')] : []),
      yn(r.exists),
      yn(r.running),
      [...r.drift, ...r.pendingRestart.map((n) => `${n} (pending until restart)`)].join(', ') || '-',
      r.blocked > 0 ? `${r.stale} (+${r.blocked} blocked)` : r.stale,
    ]);
    ctx.io.out(formatTable(head, cells, { color: ctx.io.color }));
    const older = new Map<string, number[]>();
    for (const r of rows)
      if (r.olderSource) older.set(r.olderSource, [...(older.get(r.olderSource) ?? []), r.id]);
    for (const m of planned.plan.moved ?? []) ctx.io.out(`${m.id}: moved: ${movedText(m)}.`);
    for (const [source, ids] of older)
      ctx.io.out(
        `${ids.join(', ')}: built from an older ${source}; 'phoenix create ${ids.join(' ')} --replace' re-creates ${ids.length === 1 ? 'it' : 'them'}.`,
      );
    return EXIT.ok;
  });
}
