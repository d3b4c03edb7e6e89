// The step graph as Mermaid, Graphviz dot or JSON. Thick/bold edges cascade; dashed ones only order. With the
// plan's statuses, steps out of date and blocked are filled (and the drawings carry a legend).
import type { StepEdge, StepGraph, StepNode } from '../graph/types.js';
import type { PlannedStep } from '../plan/types.js';

export type GraphFormat = 'mermaid' | 'dot' | 'json';

/** Each step's status in the plan (`phoenix graph` plans as `plan` does). */
export type StepStatuses = ReadonlyMap<string, PlannedStep['status']>;

interface View {
  nodes: StepNode[];
  edges: { from: string; to: string; attrs: StepEdge }[];
  statuses?: StepStatuses;
}

/** Fill colours of the marked statuses (up to date is left plain). */
const FILL: Partial<Record<PlannedStep['status'], string>> = { stale: '#ffd966', blocked: '#f4a3a3' };
const WORDS: Record<PlannedStep['status'], string> = {
  stale: 'out of date (runs next)',
  blocked: 'blocked (see phoenix plan)',
  'up-to-date': 'up to date',
};

/** `only`: restrict to these addresses (e.g. a closure); default the whole graph. */
export function formatGraph(
  graph: StepGraph,
  format: GraphFormat,
  only?: readonly string[],
  statuses?: StepStatuses,
): string {
  const view = { ...select(graph, only), ...(statuses && { statuses }) };
  switch (format) {
    case 'mermaid':
      return mermaid(view);
    case 'dot':
      return dot(view);
    case 'json':
      return json(view);
  }
}

function select(graph: StepGraph, only?: readonly string[]): View {
  const keep = only ? new Set(only) : undefined;
  const nodes = graph
    .getAttribute('order')
    .filter((a) => !keep || keep.has(a))
    .map((a) => graph.getNodeAttributes(a));
  const edges: View['edges'] = [];
  graph.forEachEdge((_e, attrs, from, to) => {
    if (!keep || (keep.has(from) && keep.has(to))) edges.push({ from, to, attrs });
  });
  const rank = (a: string): number => graph.getNodeAttribute(a, 'rank');
  edges.sort((x, y) => rank(x.from) - rank(y.from) || rank(x.to) - rank(y.to));
  return { nodes, edges };
}

/** Targets in first-appearance order with their nodes. */
function groups(nodes: StepNode[]): Map<number | 'host', StepNode[]> {
  const out = new Map<number | 'host', StepNode[]>();
  for (const n of nodes) out.set(n.target, [...(out.get(n.target) ?? []), n]);
  return out;
}

function targetLabel(n: StepNode): string {
  return n.kind === 'host' ? 'host' : `${n.target} ${n.guest.config.name} (${n.kind})`;
}

function mermaid(view: View): string {
  const ids = new Map(view.nodes.map((n, i) => [n.address, `n${i}`]));
  const lines = [
    'flowchart TD',
    '  %% thick arrows: a re-run cascades; dotted: order only (clone, dependency)',
  ];
  for (const [target, nodes] of groups(view.nodes)) {
    lines.push(`  subgraph t_${target}["${targetLabel(nodes[0]!)}"]`);
    for (const n of nodes) lines.push(`    ${ids.get(n.address)}["${n.name}"]`);
    lines.push('  end');
  }
  for (const { from, to, attrs } of view.edges) {
    const arrow = attrs.kind === 'chain' ? (attrs.cascade ? '==>' : '-->') : `-.->|${attrs.kind}|`;
    lines.push(`  ${ids.get(from)} ${arrow} ${ids.get(to)}`);
  }
  if (view.statuses) {
    for (const [status, fill] of Object.entries(FILL)) {
      const marked = view.nodes.filter((n) => view.statuses?.get(n.address) === status);
      lines.push(`  %% ${fill}: ${WORDS[status as PlannedStep['status']]}`);
      lines.push(`  classDef ${status} fill:${fill}`);
      if (marked.length > 0)
        lines.push(`  class ${marked.map((n) => ids.get(n.address)).join(',')} ${status}`);
    }
  }
  return lines.join('\n');
}

function dot(view: View): string {
  const q = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;
  const lines = ['digraph phoenix {', '  rankdir=TB;', '  node [shape=box];'];
  for (const [target, nodes] of groups(view.nodes)) {
    lines.push(`  subgraph ${q(`cluster_${target}`)} {`, `    label=${q(targetLabel(nodes[0]!))};`);
    for (const n of nodes) {
      const fill = FILL[view.statuses?.get(n.address) ?? 'up-to-date'];
      const style = fill === undefined ? '' : `, style=filled, fillcolor=${q(fill)}`;
      lines.push(`    ${q(n.address)} [label=${q(n.name)}${style}];`);
    }
    lines.push('  }');
  }
  for (const { from, to, attrs } of view.edges) {
    const style =
      attrs.kind === 'chain'
        ? attrs.cascade
          ? 'style=bold'
          : 'style=solid'
        : `style=dashed, label=${q(attrs.kind)}`;
    lines.push(`  ${q(from)} -> ${q(to)} [${style}];`);
  }
  lines.push(...dotLegend(q, view.statuses !== undefined));
  lines.push('}');
  return lines.join('\n');
}

/** What the fills and edge styles mean, as a cluster of sample nodes and edges. */
function dotLegend(q: (s: string) => string, marked: boolean): string[] {
  const lines = ['  subgraph "cluster_legend" {', '    label="legend";', '    node [shape=plaintext];'];
  if (marked)
    for (const status of ['stale', 'blocked', 'up-to-date'] as const) {
      const fill = FILL[status];
      const style = fill === undefined ? 'shape=box' : `shape=box, style=filled, fillcolor=${q(fill)}`;
      lines.push(`    ${q(`legend:${status}`)} [label=${q(WORDS[status])}, ${style}];`);
    }
  lines.push(
    '    "legend:a" [label="step"]; "legend:b" [label="step after it"]; "legend:c" [label="step"]; "legend:d" [label="step after it"];',
    '    "legend:a" -> "legend:b" [style=bold, label="a re-run cascades"];',
    '    "legend:c" -> "legend:d" [style=dashed, label="order only (clone, dependency)"];',
    '  }',
  );
  return lines;
}

function json(view: View): string {
  return JSON.stringify(
    {
      nodes: view.nodes.map((n) => ({
        address: n.address,
        target: n.target,
        name: n.name,
        kind: n.spec.kind,
        targetKind: n.kind,
        ...(view.statuses?.has(n.address) && { status: view.statuses.get(n.address) }),
      })),
      edges: view.edges.map(({ from, to, attrs }) => ({
        from,
        to,
        kind: attrs.kind,
        cascade: attrs.cascade,
      })),
    },
    null,
    2,
  );
}
