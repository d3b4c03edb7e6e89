// Pass one of planning, per step: its fingerprint and why it is stale (before blocking and ordering).
import type { StepRecord } from '../cache/cache.js';
import type { Fleet } from '../config/model.js';
import type { SecretMasker } from '../config/secrets.js';
import type { StepGraph, StepNode } from '../graph/types.js';
import type { LiveState } from '../host/live.js';
import type { Diff, LiveCheck } from '../tasks/step.js';
import { diffInputs } from './diff.js';
import { bindStep, type BoundStep } from './evaluate.js';
import { fingerprint } from './fingerprint.js';
import type { StaleReason } from './types.js';

/** A step's identity at planning time: what it would hash if it ran now. */
export interface StepIdentity {
  node: StepNode;
  bound: BoundStep;
  inputs: Record<string, unknown>;
  scripts: Record<string, string>;
  upstream: Record<string, string>;
  fingerprint: string;
}

/** Computes a step's identity; `fingerprints` must already hold its cascading upstreams' (topological order). */
export function identify(
  graph: StepGraph,
  address: string,
  env: { fleet: Fleet; live: LiveState; scriptHash: (path: string) => string; maskSecrets: SecretMasker },
  fingerprints: ReadonlyMap<string, string>,
): StepIdentity {
  const node = graph.getNodeAttributes(address);
  const bound = bindStep(node, env.fleet, env.live, env.maskSecrets);
  const inputs = bound.inputs();
  const paths = bound.scripts();
  const hashes = paths.map((p) => env.scriptHash(p));
  const scripts = Object.fromEntries(paths.map((p, i) => [p, hashes[i]!]));
  const upstream: Record<string, string> = {};
  graph.forEachInEdge(address, (_e, attrs, source) => {
    if (!attrs.cascade) return;
    const fp = fingerprints.get(source);
    if (fp === undefined) throw new Error(`fingerprint of ${source} needed before ${address}`);
    upstream[source] = fp;
  });
  const fp = fingerprint({ kind: node.spec.kind, inputs, scriptHashes: hashes, upstream });
  return { node, bound, inputs, scripts, upstream, fingerprint: fp };
}

/**
 * Why a step with a record whose fingerprint differs is stale: inputs, scripts, upstream, else the format. Empty
 * when the only difference is globals the step's scripts do not name (records made when every step hashed every
 * global): the step is up to date, and what it holds is what its record says.
 */
export function changeReasons(id: StepIdentity, record: StepRecord, fleet: Fleet): StaleReason[] {
  const reasons: StaleReason[] = [];
  const all = diffInputs(record.inputs, id.inputs);
  const diffs = all.filter((d) => !untrackedGlobal(d, fleet));
  if (diffs.length > 0) reasons.push({ type: 'input-changed', diffs });
  const scripts = changedScripts(record.scripts, id.scripts);
  if (scripts.length > 0) reasons.push({ type: 'script-changed', scripts });
  const before = record.upstream ?? {};
  for (const [address, fp] of Object.entries(id.upstream)) {
    if (before[address] !== fp) reasons.push({ type: 'upstream', address });
  }
  if (reasons.length === 0 && diffs.length === all.length) reasons.push({ type: 'format-changed' });
  return reasons;
}

/** A global the fleet still has that the step no longer hashes: its scripts do not name it. */
function untrackedGlobal(d: Diff, fleet: Fleet): boolean {
  const m = /^globals\.([^.]+)/.exec(d.field);
  return m !== null && d.desired === undefined && Object.hasOwn(fleet.globals ?? {}, m[1]!);
}

/** Scripts whose content differs; none when only their folder moved (same hashes in the same order). */
function changedScripts(before: Record<string, string>, now: Record<string, string>): string[] {
  if (Object.values(before).join() === Object.values(now).join()) return [];
  const paths = [...new Set([...Object.keys(now), ...Object.keys(before)])];
  return paths.filter((p) => before[p] !== now[p]);
}

/** Reasons a live check adds for a step that has a record. */
export function checkReasons(check: LiveCheck): StaleReason[] {
  if (check.ok !== false) return [];
  return check.reason === 'missing'
    ? [{ type: 'missing', detail: check.detail }]
    : [{ type: 'drift', detail: check.detail, diffs: check.diffs }];
}
