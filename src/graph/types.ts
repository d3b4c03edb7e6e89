// The step graph's shape: one node per step instance, edges say "runs after" and whether a re-run cascades.
import type { DirectedGraph } from 'graphology';
import type { HostSetupStep, LxcGuest, VmGuest } from '../config/model.js';
import type { StepSpec } from '../tasks/step.js';

/** The step tables, one per target kind, passed in so the graph stays independent of the real steps. */
export interface StepTables {
  lxc: StepSpec<LxcGuest>[];
  vm: StepSpec<VmGuest>[];
  host: StepSpec<HostSetupStep>[];
}

/** Guest ID, or 'host' for the hypervisor's own setup steps. */
export type TargetKey = number | 'host';

interface NodeBase {
  /** `950:feature:docker`, `host:zfs`. */
  address: string;
  target: TargetKey;
  /** Name within the target: `configure`, `feature:docker`, `zfs`. */
  name: string;
  /** Position in the target's chain (0 = first step). */
  position: number;
  /** Index in the graph's deterministic topological order (see order.ts). */
  rank: number;
}

/** A node binds a step spec to its target; the union keeps spec and target types paired. */
export type StepNode =
  | (NodeBase & { kind: 'lxc'; guest: LxcGuest; spec: StepSpec<LxcGuest> })
  | (NodeBase & { kind: 'vm'; guest: VmGuest; spec: StepSpec<VmGuest> })
  | (NodeBase & { kind: 'host'; hostStep: HostSetupStep; spec: StepSpec<HostSetupStep> });

export type EdgeKind = 'chain' | 'clone' | 'dependency';

export interface StepEdge {
  kind: EdgeKind;
  /** A re-run of the source with a new result makes the target stale (its fingerprint folds the source's). */
  cascade: boolean;
}

export interface GraphMeta {
  /** Every address in deterministic topological order. */
  order: string[];
  /** Each target's step addresses in chain order. */
  chains: Map<TargetKey, string[]>;
}

export type StepGraph = DirectedGraph<StepNode, StepEdge, GraphMeta>;

export interface CycleFailure {
  reason: 'cycle';
  /** The cycle, first address repeated at the end: `['950:start', '953:snapshot', '950:start']`. */
  path: string[];
  message: string;
}

/** Address of a step: `950:configure` or `host:zfs`. */
export function stepAddress(target: TargetKey, name: string): string {
  return `${target}:${name}`;
}
