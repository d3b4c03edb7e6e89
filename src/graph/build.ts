// Fleet + step tables -> the step graph. Pure: no host, no cache, no file access.
import { DirectedGraph } from 'graphology';
import type { Fleet, Guest, HostSetupStep } from '../config/model.js';
import { COPY_STEPS } from '../config/node-copies.js';
import { err, ok, type Result } from '../result.js';
import { findCycles } from './dag.js';
import { guestOrder } from './guests.js';
import {
  stepAddress,
  type CycleFailure,
  type EdgeKind,
  type StepGraph,
  type StepNode,
  type StepTables,
  type TargetKey,
} from './types.js';

export type { StepGraph, StepTables, CycleFailure } from './types.js';

/** Builds one node per step instance and the chain, clone and dependency edges; a cycle is a failure. */
export function buildStepGraph(fleet: Fleet, tables: StepTables): Result<StepGraph, CycleFailure> {
  const graph: StepGraph = new DirectedGraph({ allowSelfLoops: false });
  graph.replaceAttributes({ order: [], chains: new Map() });
  const chains = new Map<TargetKey, StepNode[]>();
  for (const guest of fleet.guests.values()) chains.set(guest.id, guestNodes(guest, fleet, tables));
  chains.set('host', hostNodes(fleet.hostSteps, fleet, tables));
  for (const chain of chains.values()) {
    for (const node of chain) {
      if (graph.hasNode(node.address)) throw new Error(`step table produced ${node.address} twice`);
      graph.addNode(node.address, node);
    }
    linkChain(graph, chain);
  }
  for (const guest of fleet.guests.values()) linkGuest(graph, guest, chains);
  for (const [target, chain] of chains)
    if (chain.length > 0)
      graph.getAttribute('chains').set(
        target,
        chain.map((n) => n.address),
      );
  return order(graph, fleet);
}

function guestNodes(guest: Guest, fleet: Fleet, tables: StepTables): StepNode[] {
  const nodes: StepNode[] = [];
  const add = (name: string, rest: Pick<StepNode, 'kind' | 'spec'> & Record<string, unknown>): void => {
    // A template's per-node copy is only made and made a clone source: what the template's other steps did, the
    // copy holds already.
    if (guest.copyOf !== undefined && !COPY_STEPS.includes(name)) return;
    nodes.push({
      address: stepAddress(guest.id, name),
      target: guest.id,
      name,
      position: nodes.length,
      rank: -1,
      ...rest,
    } as StepNode);
  };
  if (guest.kind === 'lxc') {
    for (const spec of tables.lxc)
      for (const name of spec.instances(guest, fleet)) add(name, { kind: 'lxc', guest, spec });
  } else {
    for (const spec of tables.vm)
      for (const name of spec.instances(guest, fleet)) add(name, { kind: 'vm', guest, spec });
  }
  return nodes;
}

function hostNodes(steps: HostSetupStep[], fleet: Fleet, tables: StepTables): StepNode[] {
  const nodes: StepNode[] = [];
  for (const hostStep of steps) {
    for (const spec of tables.host) {
      for (const instance of spec.instances(hostStep, fleet)) {
        // HostSetupStep.name may already carry the `host:` prefix; the node name never does.
        const name = instance.startsWith('host:') ? instance.slice('host:'.length) : instance;
        nodes.push({
          address: stepAddress('host', name),
          target: 'host',
          name,
          position: nodes.length,
          rank: -1,
          kind: 'host',
          hostStep,
          spec,
        });
      }
    }
  }
  return nodes;
}

/**
 * Each step after the one before it. A step aside (StepSpec.aside) only orders the next one: that step cascades from
 * the last step before it on the main chain.
 */
function linkChain(graph: StepGraph, chain: StepNode[]): void {
  let main: StepNode | undefined;
  chain.forEach((node, i) => {
    const prev = chain[i - 1];
    if (prev) link(graph, prev, node, 'chain', node.spec.cascades && !prev.spec.aside);
    if (prev?.spec.aside && main && node.spec.cascades) link(graph, main, node, 'chain', true);
    if (!node.spec.aside) main = node;
  });
}

/** Clone: the clone's first step after its source's template/snapshot (or last) step. Dependency: `start` after the dependency's last step. Both order-only. */
function linkGuest(graph: StepGraph, guest: Guest, chains: Map<TargetKey, StepNode[]>): void {
  const chain = chains.get(guest.id) ?? [];
  const first = chain[0];
  if (first === undefined) return;
  if (guest.cloneFrom !== undefined) {
    const source = chains.get(guest.cloneFrom) ?? [];
    const from =
      source.find((n) => n.name === 'template') ?? source.find((n) => n.name === 'snapshot') ?? source.at(-1);
    if (from) link(graph, from, first, 'clone', false);
  }
  const start = chain.find((n) => n.name === 'start') ?? first;
  for (const dep of guest.dependencies) {
    const last = (chains.get(dep) ?? []).at(-1);
    if (last && dep !== guest.id) link(graph, last, start, 'dependency', false);
  }
}

function link(graph: StepGraph, from: StepNode, to: StepNode, kind: EdgeKind, cascade: boolean): void {
  if (from.address === to.address || graph.hasDirectedEdge(from.address, to.address)) return;
  graph.addDirectedEdge(from.address, to.address, { kind, cascade });
}

/**
 * Ranks every node in a deterministic topological order: the host's chain, then each guest's chain in guest order.
 * Edges between guests only run from a guest to one later in guest order (a clone source or dependency to the
 * guest that needs it), so the concatenated chains are a topological order of the steps.
 */
function order(graph: StepGraph, fleet: Fleet): Result<StepGraph, CycleFailure> {
  const guests = guestOrder(fleet);
  if (guests === undefined) {
    const path = findCycles(graph)[0] ?? [];
    return err({ reason: 'cycle', path, message: `the steps form a cycle: ${path.join(' -> ')}` });
  }
  const chains = graph.getAttribute('chains');
  const sorted = (['host', ...guests] as TargetKey[]).flatMap((t) => chains.get(t) ?? []);
  sorted.forEach((address, rank) => graph.mergeNodeAttributes(address, { rank }));
  graph.setAttribute('order', sorted);
  return ok(graph);
}
