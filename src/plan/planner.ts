// The planner, pure: (graph, fleet, live state, cache records, request) -> every covered step with a status and
// reasons, in topological order. No I/O: the script hasher and all state are passed in.
import type { StepRecord } from '../cache/cache.js';
import type { Fleet } from '../config/model.js';
import type { SecretMasker } from '../config/secrets.js';
import { closureFor, resolveTargets } from '../graph/query.js';
import type { StepGraph, TargetKey } from '../graph/types.js';
import type { LiveState } from '../host/live.js';
import type { LiveCheck } from '../tasks/step.js';
import { changeReasons, checkReasons, identify, type StepIdentity } from './assess.js';
import { blockCause, type BlockCause } from './blocking.js';
import type { Plan, PlannedStep, PlanRequest, StaleReason } from './types.js';

export interface PlanInput {
  graph: StepGraph;
  fleet: Fleet;
  live: LiveState;
  cache: ReadonlyMap<string, StepRecord>;
  /** Content hash of a script file (see createScriptHasher); the only window on files, memoized by the caller. */
  scriptHash: (path: string) => string;
  /** How secret input values enter fingerprints and records: keyed hashes (secretMasker). */
  maskSecrets: SecretMasker;
  request: PlanRequest;
}

interface Draft {
  id: StepIdentity;
  check: LiveCheck;
  reasons: StaleReason[];
  cause?: BlockCause;
}

/** Plans the request. Unknown targets are a bug here: validate them first with resolveTargets. */
export function plan(input: PlanInput): Plan {
  const { graph, request } = input;
  const forced = expandForce(graph, request.force ?? []);
  const roots = [...unwrap(resolveTargets(graph, request.targets)), ...forced];
  let drafts = draft(input, closureFor(graph, roots), forced);
  if (request.replace) {
    // Re-creating a guest re-runs all of its steps, so the plan must cover its whole chain.
    const chains = graph.getAttribute('chains');
    const lasts = replacedGuests(drafts).map((t) => chains.get(t)!.at(-1)!);
    if (lasts.some((a) => !drafts.has(a)))
      drafts = draft(input, closureFor(graph, [...roots, ...lasts]), forced);
  }
  return { steps: finish(input, drafts) };
}

/** Pass one: identity, reasons and block cause of every step of the closure, in topological order. */
function draft(input: PlanInput, addresses: string[], forced: ReadonlySet<string>): Map<string, Draft> {
  const { graph, fleet, live, cache, scriptHash, maskSecrets, request } = input;
  const fingerprints = new Map<string, string>();
  const recreated = memoize((t: TargetKey) => recreatedDetail(t, graph, live, cache));
  const drafts = new Map<string, Draft>();
  for (const address of addresses) {
    const id = identify(graph, address, { fleet, live, scriptHash, maskSecrets }, fingerprints);
    fingerprints.set(address, id.fingerprint);
    const target = id.node.target;
    const record = request.noCache ? undefined : cache.get(address);
    const check = id.bound.check();
    const reasons: StaleReason[] = forced.has(address) ? [{ type: 'forced' }] : [];
    if (!record) reasons.push({ type: 'never-ran' });
    else {
      const detail = recreated(target);
      if (detail !== undefined) reasons.push({ type: 'recreated', detail });
      if (record.failed) reasons.push({ type: 'failed', ...record.failed });
      if (record.fingerprint !== id.fingerprint) reasons.push(...changeReasons(id, record));
      if (target === 'host' || live.guests.has(target)) reasons.push(...checkReasons(check));
    }
    const facts = { kind: id.node.spec.kind, target, reasons, check, inputs: id.inputs };
    const cause = reasons.length > 0 ? blockCause(facts, fleet, live) : undefined;
    drafts.set(address, { id, check, reasons, ...(cause && { cause }) });
  }
  return drafts;
}

/** Set when the cache's records of a guest belong to another incarnation, or the guest is gone. */
function recreatedDetail(
  target: TargetKey,
  graph: StepGraph,
  live: LiveState,
  cache: ReadonlyMap<string, StepRecord>,
): string | undefined {
  if (target === 'host') return undefined;
  const records = (graph.getAttribute('chains').get(target) ?? []).flatMap((a) => cache.get(a) ?? []);
  if (records.length === 0) return undefined;
  const guest = live.guests.get(target);
  if (!guest) return `guest ${target} no longer exists on the host`;
  const now = guest.incarnation;
  const old = records.find((r) => r.incarnation !== undefined && now !== undefined && r.incarnation !== now);
  return old ? `guest ${target} was re-created outside Phoenix (${old.incarnation} -> ${now})` : undefined;
}

function replacedGuests(drafts: Map<string, Draft>): number[] {
  const out = new Set<number>();
  for (const d of drafts.values())
    if (d.cause?.scope === 'guest' && d.id.node.target !== 'host') out.add(d.id.node.target);
  return [...out];
}

/** Pass two: --replace, statuses, "waits for" propagation and each step's `after`. */
function finish(input: PlanInput, drafts: Map<string, Draft>): PlannedStep[] {
  const { graph, request } = input;
  const replaced = new Map<TargetKey, string>();
  for (const d of drafts.values()) {
    if (d.cause?.scope === 'guest' && !replaced.has(d.id.node.target))
      replaced.set(d.id.node.target, d.cause.message);
  }
  const status = new Map<string, PlannedStep['status']>();
  const blockRoot = new Map<string, string | undefined>();
  const frontier = new Map<string, string[]>();
  const steps: PlannedStep[] = [];
  const rankOf = (a: string): number => drafts.get(a)!.id.node.rank;
  for (const [address, d] of drafts) {
    const { node } = d.id;
    const reasons = [...d.reasons];
    const replacing = request.replace === true ? replaced.get(node.target) : undefined;
    if (replacing !== undefined)
      reasons.push({ type: 'recreated', detail: `replaced (--replace): ${replacing}` });
    const preds: { p: string; chain: boolean; rank: number }[] = [];
    graph.forEachInEdge(address, (_e, attrs, p) => {
      const pd = drafts.get(p);
      if (pd) preds.push({ p, chain: attrs.kind === 'chain', rank: pd.id.node.rank });
    });
    preds.sort((a, b) => a.rank - b.rank);
    const own = d.cause && !request.replace ? `needs --replace: ${d.cause.message}` : undefined;
    // A blocked step holds back its own guest's later work through the chain, even past up-to-date steps; across
    // guests (clone, dependency edges) it holds back only the directly following step, and only if that is stale.
    const viaChain = preds.find((x) => x.chain && blockRoot.get(x.p) !== undefined);
    const viaOrder = preds.find((x) => !x.chain && status.get(x.p) === 'blocked');
    const chainRoot = viaChain && blockRoot.get(viaChain.p);
    const waits = chainRoot ?? (viaOrder && blockRoot.get(viaOrder.p));
    const blocked = own ?? (reasons.length > 0 && waits !== undefined ? `waits for ${waits}` : undefined);
    const s = blocked !== undefined ? 'blocked' : reasons.length > 0 ? 'stale' : 'up-to-date';
    status.set(address, s);
    blockRoot.set(address, own !== undefined ? address : s === 'blocked' ? waits : chainRoot);
    const after = [
      ...new Set(preds.flatMap(({ p }) => (status.get(p) === 'up-to-date' ? frontier.get(p)! : [p]))),
    ];
    frontier.set(address, after);
    const replace =
      request.replace === true &&
      ((replacing !== undefined && node.spec.kind === 'define') || d.cause?.scope === 'snapshot');
    steps.push({
      address,
      target: node.target,
      name: node.name,
      status: s,
      reasons,
      ...(blocked !== undefined && { blocked }),
      fingerprint: d.id.fingerprint,
      inputs: d.id.inputs,
      scripts: d.id.scripts,
      upstream: d.id.upstream,
      ...(replace && { replace }),
      after: after.length < 2 ? after : after.sort((a, b) => rankOf(a) - rankOf(b)),
      preview: s === 'up-to-date' ? [] : d.id.bound.preview(),
      ...(s === 'stale' && withLocks(d.id.bound.locks())),
      ...(d.check.ok === true && d.check.pending && { pendingRestart: d.check.pending }),
    });
  }
  return steps;
}

function withLocks(locks: string[]): { locks?: string[] } {
  return locks.length > 0 ? { locks } : {};
}

/** `--force 950` forces every step of 950; `--force 950:start` one step. */
function expandForce(graph: StepGraph, force: readonly string[]): Set<string> {
  const chains = graph.getAttribute('chains');
  const out = new Set<string>();
  for (const f of force) {
    const chain = /^\d+$/.test(f) ? chains.get(Number(f)) : f === 'host' ? chains.get('host') : undefined;
    for (const a of chain ?? unwrap(resolveTargets(graph, [f]))) out.add(a);
  }
  return out;
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(`plan: ${r.error.message} (validate targets with resolveTargets first)`);
  return r.value;
}

function memoize<K, V>(f: (k: K) => V): (k: K) => V {
  const memo = new Map<K, V>();
  return (k) => {
    if (!memo.has(k)) memo.set(k, f(k));
    return memo.get(k)!;
  };
}
