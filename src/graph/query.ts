// Questions asked of a built step graph: a target's steps, what a set of steps needs, what a user's target means.
import { closest } from 'fastest-levenshtein';
import { err, ok, type Result } from '../result.js';
import { closure } from './dag.js';
import type { StepGraph, StepNode, TargetKey } from './types.js';

/** A target's step addresses in chain order (empty for an unknown target). */
export function stepsOf(graph: StepGraph, target: TargetKey): string[] {
  return [...(graph.getAttribute('chains').get(target) ?? [])];
}

/** A target's step nodes in chain order. */
export function stepNodesOf(graph: StepGraph, target: TargetKey): StepNode[] {
  return (graph.getAttribute('chains').get(target) ?? []).map((a) => graph.getNodeAttributes(a));
}

/** The given steps and everything they need (all ancestors, Make-style), in the graph's topological order. */
export function closureFor(graph: StepGraph, addresses: Iterable<string>): string[] {
  return [...closure(graph, addresses, 'in')].sort(
    (x, y) => graph.getNodeAttribute(x, 'rank') - graph.getNodeAttribute(y, 'rank'),
  );
}

/** Every step in the graph's deterministic topological order. */
export function topologicalOrder(graph: StepGraph): readonly string[] {
  return graph.getAttribute('order');
}

export interface UnknownTarget {
  reason: 'unknown-target';
  target: string;
  /** The closest known target or step, for "did you mean". */
  suggestion?: string;
  message: string;
}

/**
 * Turns what the user typed into step addresses: `950` (a guest) and `host` mean their last step, `950:start`
 * and `host:zfs` name one step. An empty list means every target.
 */
export function resolveTargets(
  graph: StepGraph,
  targets: readonly string[],
): Result<string[], UnknownTarget> {
  const chains = graph.getAttribute('chains');
  if (targets.length === 0) return ok([...chains.values()].map((c) => c.at(-1)!));
  const out: string[] = [];
  for (const t of targets) {
    const key: TargetKey | undefined = t === 'host' ? 'host' : /^\d+$/.test(t) ? Number(t) : undefined;
    const chain = key === undefined ? undefined : chains.get(key);
    if (chain) out.push(chain.at(-1)!);
    else if (graph.hasNode(t)) out.push(t);
    else {
      const known = [...[...chains.keys()].map(String), ...graph.nodes()];
      const suggestion = known.length > 0 ? closest(t, known) : undefined;
      const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
      return err({
        reason: 'unknown-target',
        target: t,
        suggestion,
        message: `no guest or step named ${t}${hint}`,
      });
    }
  }
  return ok(out);
}

/** Target key of an address: `950:feature:x` -> 950, `host:zfs` -> 'host'. */
export function targetOf(address: string): TargetKey {
  const head = address.slice(0, address.indexOf(':'));
  return head === 'host' ? 'host' : Number(head);
}
