// The planner, pure: (graph, fleet, live state, cache records, request) -> every covered step with a status and
// reasons, in topological order. No I/O: the script hasher and all state are passed in.
import type { StepRecord } from '../cache/cache.js';
import type { Fleet } from '../config/model.js';
import type { SecretMasker } from '../config/secrets.js';
import { closureFor, resolveTargets, targetOf } from '../graph/query.js';
import type { StepGraph, StepNode, TargetKey } from '../graph/types.js';
import type { LiveState } from '../host/live.js';
import type { LiveCheck } from '../tasks/step.js';
import { changeReasons, checkReasons, identify, type StepIdentity } from './assess.js';
import { blockCause, redoes, retakes, snapshotName, type BlockCause } from './blocking.js';
import { bindStep } from './evaluate.js';
import type { CloneSource, Plan, PlannedStep, PlanRequest, StaleReason } from './types.js';

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

type Drafts = Map<string, Draft>;

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
function draft(input: PlanInput, addresses: string[], forced: ReadonlySet<string>): Drafts {
  const { graph, fleet, live, cache, scriptHash, maskSecrets, request } = input;
  const fingerprints = new Map<string, string>();
  const recreated = memoize((t: TargetKey) => recreatedDetail(t, graph, live, cache));
  const drafts: Drafts = new Map();
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
      if (record.fingerprint !== id.fingerprint) {
        const changes = changeReasons(id, record, fleet);
        reasons.push(...changes);
        // Up to date although hashed differently: what follows folds in the fingerprint of what is there.
        if (changes.length === 0) fingerprints.set(address, record.fingerprint);
      }
      // Drift is the host moving away from what Phoenix last applied; when the config changed, the host differing
      // from the new config is that change, not drift.
      const changed = reasons.some((r) => r.type === 'input-changed');
      if (target === 'host' || live.guests.has(target))
        reasons.push(...checkReasons(check).filter((r) => !(changed && r.type === 'drift')));
    }
    const older = olderSource(input, id.node, record, drafts);
    if (older) reasons.push(older);
    const facts = { kind: id.node.spec.kind, target, reasons, check, inputs: id.inputs };
    const cause = reasons.length > 0 ? blockCause(facts, live) : undefined;
    drafts.set(address, { id, check, reasons, ...(cause && { cause }) });
  }
  return drafts;
}

/** The step a clone's `define` is made from (its source's snapshot, template or last step), if it is a clone. */
function cloneSourceOf(graph: StepGraph, node: StepNode): string | undefined {
  if (node.spec.kind !== 'define') return undefined;
  let source: string | undefined;
  graph.forEachInEdge(node.address, (_e, attrs, from) => {
    if (attrs.kind === 'clone') source = from;
  });
  return source;
}

/**
 * Why an existing clone holds an older build than its source now has: the source's snapshot is re-taken in this
 * run, or the source is re-created (--replace), or, from the clone's record, the snapshot was re-taken or the
 * source re-created since the clone was made.
 */
function olderSource(
  input: PlanInput,
  node: StepNode,
  record: StepRecord | undefined,
  drafts: Drafts,
): StaleReason | undefined {
  const { graph, live, cache, request } = input;
  const from = cloneSourceOf(graph, node);
  if (from === undefined || node.target === 'host' || !live.guests.has(node.target)) return undefined;
  const src = drafts.get(from);
  const srcTarget = targetOf(from);
  const older = (detail: string): StaleReason => ({ type: 'older-source', address: from, detail });
  if (src && src.cause === undefined && src.id.node.spec.kind === 'snapshot' && retakes(src)) {
    const name = snapshotName(src.id.inputs);
    return older(`this run re-takes snapshot ${name}; ${node.target} keeps the build it was cloned from`);
  }
  const chain = graph.getAttribute('chains').get(srcTarget) ?? [];
  if (request.replace && chain.some((a) => drafts.get(a)?.cause?.scope === 'guest'))
    return older(`this run re-creates ${srcTarget} (--replace)`);
  if (!record) return undefined;
  if (record.source) {
    // Cloned from another guest than the config now says: `define`'s inputs changed, which says so.
    if (record.source.address !== from) return undefined;
    if (src && record.source.fingerprint !== src.id.fingerprint)
      return older(`its build changed after ${node.target} was cloned from it`);
    const now = srcTarget === 'host' ? undefined : live.guests.get(srcTarget)?.incarnation;
    if (now !== undefined && record.source.incarnation !== undefined && now !== record.source.incarnation)
      return older(`${srcTarget} was re-created after ${node.target} was cloned from it`);
    return undefined;
  }
  // Recorded before clones kept their source: the source step ran again after the clone was made.
  const ran = cache.get(from)?.at;
  return ran !== undefined && ran > record.at
    ? older(`it ran again (${ran}) after ${node.target} was cloned (${record.at})`)
    : undefined;
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

function replacedGuests(drafts: Drafts): number[] {
  const out = new Set<number>();
  for (const d of drafts.values())
    if (d.cause?.scope === 'guest' && d.id.node.target !== 'host') out.add(d.id.node.target);
  return [...out];
}

/** The live state without the given guests: the host as a run leaves it once it destroyed them. */
function without(live: LiveState, ids: ReadonlySet<number>): LiveState {
  if (ids.size === 0) return live;
  return { ...live, guests: new Map([...live.guests].filter(([id]) => !ids.has(id))) };
}

/**
 * For a guest this run creates or re-creates: the first step after `define` that would fail on the guest as
 * `define` leaves it (a clone's disk larger than its storage_size_gb, never shrunk), found before anything is
 * destroyed or created.
 */
function failsAfterDefine(
  input: PlanInput,
  drafts: Drafts,
  target: number,
  after: LiveState,
  verb: string,
): string | undefined {
  const chain = input.graph.getAttribute('chains').get(target) ?? [];
  const define = drafts.get(chain[0] ?? '');
  if (define?.id.node.spec.kind !== 'define') return undefined;
  const predicted = bindStep(define.id.node, input.fleet, after, input.maskSecrets).predict();
  if (!predicted) return undefined;
  const withGuest = { ...after, guests: new Map(after.guests).set(target, predicted) };
  for (const address of chain.slice(1)) {
    const d = drafts.get(address);
    if (!d) continue;
    const check = bindStep(d.id.node, input.fleet, withGuest, input.maskSecrets).check();
    if (check.ok === false && check.reason === 'drift' && check.needsReplace)
      return `${address} would fail after ${verb} ${target}: ${check.needsReplace}`;
  }
  return undefined;
}

/** Pass two: --replace, statuses, "waits for" propagation, each step's `after` and its commands. */
function finish(input: PlanInput, drafts: Drafts): PlannedStep[] {
  const { graph, request, live, fleet } = input;
  const replaced = new Map<TargetKey, string>();
  for (const d of drafts.values()) {
    if (d.cause?.scope === 'guest' && !replaced.has(d.id.node.target))
      replaced.set(d.id.node.target, d.cause.message);
  }
  const recreating = new Set(
    request.replace ? [...replaced.keys()].filter((t): t is number => t !== 'host') : [],
  );
  // The host as the run will find it: the guests it re-creates are gone before their `define` runs.
  const after = without(live, recreating);
  const refusedDefine = new Map<string, string>();
  for (const [target, chain] of graph.getAttribute('chains')) {
    if (target === 'host' || !drafts.has(chain[0] ?? '')) continue;
    const creates = recreating.has(target) || !live.guests.has(target);
    if (!creates) continue;
    const failure = failsAfterDefine(
      input,
      drafts,
      target,
      after,
      recreating.has(target) ? 're-creating' : 'creating',
    );
    if (failure !== undefined) refusedDefine.set(chain[0]!, failure);
  }
  const status = new Map<string, PlannedStep['status']>();
  const blockRoot = new Map<string, string | undefined>();
  const frontier = new Map<string, string[]>();
  const steps: PlannedStep[] = [];
  const rankOf = (a: string): number => drafts.get(a)!.id.node.rank;
  for (const [address, d] of drafts) {
    const { node } = d.id;
    const reasons = [...d.reasons];
    const replacing = recreating.has(node.target as number) ? replaced.get(node.target) : undefined;
    if (replacing !== undefined)
      reasons.push({ type: 'recreated', detail: `replaced (--replace): ${replacing}` });
    const preds: { p: string; chain: boolean; rank: number }[] = [];
    graph.forEachInEdge(address, (_e, attrs, p) => {
      const pd = drafts.get(p);
      if (pd) preds.push({ p, chain: attrs.kind === 'chain', rank: pd.id.node.rank });
    });
    preds.sort((a, b) => a.rank - b.rank);
    const own =
      refusedDefine.get(address) ??
      (d.cause === undefined
        ? undefined
        : d.cause.scope === 'refused'
          ? d.cause.message
          : request.replace
            ? undefined
            : `needs --replace: ${d.cause.message}`);
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
    const afterSteps = [
      ...new Set(preds.flatMap(({ p }) => (status.get(p) === 'up-to-date' ? frontier.get(p)! : [p]))),
    ];
    frontier.set(address, afterSteps);
    const recreates = replacing !== undefined;
    const redo = s !== 'up-to-date' && !recreates && redoes(reasons);
    const define = node.spec.kind === 'define';
    const retake =
      s === 'stale' && node.spec.kind === 'snapshot' && !recreates && retakes({ check: d.check, reasons });
    const mode = {
      ...(redo && { redo }),
      ...(recreates && define && node.target !== 'host' && { replacing: live.guests.get(node.target) }),
    };
    const source = cloneSource(graph, node, drafts, after);
    const warning = s === 'up-to-date' ? undefined : d.id.bound.warning();
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
      ...(recreates && define && { replace: true }),
      ...(redo && { redo }),
      ...(retake && { retake: snapshotName(d.id.inputs) }),
      ...(source && { source }),
      ...(warning !== undefined && { warning }),
      after: afterSteps.length < 2 ? afterSteps : afterSteps.sort((a, b) => rankOf(a) - rankOf(b)),
      preview: s === 'up-to-date' ? [] : bindStep(node, fleet, after, input.maskSecrets, mode).preview(),
      ...(s === 'stale' && withLocks(d.id.bound.locks())),
      ...(d.check.ok === true && d.check.pending && { pendingRestart: d.check.pending }),
    });
  }
  return steps;
}

/** A clone's source build as planned: the source step's fingerprint, and its guest's incarnation when known. */
function cloneSource(
  graph: StepGraph,
  node: StepNode,
  drafts: Drafts,
  after: LiveState,
): CloneSource | undefined {
  const from = cloneSourceOf(graph, node);
  const src = from === undefined ? undefined : drafts.get(from);
  if (from === undefined || !src) return undefined;
  const target = targetOf(from);
  const incarnation = target === 'host' ? undefined : after.guests.get(target)?.incarnation;
  return {
    address: from,
    fingerprint: src.id.fingerprint,
    ...(incarnation !== undefined && { incarnation }),
  };
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
