import { hasCycle } from 'graphology-dag';
import { describe, expect, it } from 'vitest';
import { buildStepGraph } from '../../src/graph/build.js';
import { closureFor, resolveTargets, stepsOf, topologicalOrder } from '../../src/graph/query.js';
import type { StepGraph } from '../../src/graph/types.js';
import { fleetOf, lxc, tables, vm } from '../plan/fakes.js';
import type { Guest } from '../../src/config/model.js';

function build(guests: Guest[], host: string[] = []): StepGraph {
  const r = buildStepGraph(fleetOf(guests, host), tables);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const edge = (g: StepGraph, from: string, to: string) => g.getDirectedEdgeAttributes(from, to);

describe('buildStepGraph', () => {
  it('gives a container one node per step, in table order, with features in config order', () => {
    const g = build([
      lxc(950, {
        features: ['nvidia', 'docker'],
        application_script: 'app.sh',
        health_check: { command: 'true' },
        template_snapshot_name: 'golden',
      }),
    ]);
    expect(stepsOf(g, 950)).toEqual([
      '950:define',
      '950:configure',
      '950:disk',
      '950:start',
      '950:feature:nvidia',
      '950:feature:docker',
      '950:app',
      '950:health',
      '950:snapshot',
    ]);
    expect(g.getNodeAttributes('950:feature:docker')).toMatchObject({ target: 950, name: 'feature:docker' });
  });

  it('leaves out steps that do not apply and chains host steps in configured order', () => {
    const g = build([vm(9000, { is_template: true, features: ['base'] })], ['zfs', 'nfs']);
    expect(stepsOf(g, 9000)).toEqual([
      '9000:define',
      '9000:configure',
      '9000:start',
      '9000:agent',
      '9000:feature:base',
      '9000:template',
    ]);
    expect(stepsOf(g, 'host')).toEqual(['host:zfs', 'host:nfs']);
    expect(edge(g, 'host:zfs', 'host:nfs')).toEqual({ kind: 'chain', cascade: false });
  });

  it('marks chain edges as cascading exactly when the downstream step cascades', () => {
    const g = build([lxc(950, { features: ['a'], application_script: 'app.sh' })]);
    expect(edge(g, '950:configure', '950:disk').cascade).toBe(false);
    expect(edge(g, '950:disk', '950:start').cascade).toBe(false);
    expect(edge(g, '950:start', '950:feature:a').cascade).toBe(true);
    expect(edge(g, '950:feature:a', '950:app').cascade).toBe(true);
  });

  it("orders a clone's define after its source's snapshot (or a VM template's template step), order-only", () => {
    const g = build([
      lxc(950, { template_snapshot_name: 'golden', features: ['a'] }),
      lxc(951, { clone_from_ctid: 950 }),
      vm(9000, { is_template: true, template_snapshot_name: 'base' }),
      vm(9001, { clone_from_vmid: 9000 }),
    ]);
    expect(edge(g, '950:snapshot', '951:define')).toEqual({ kind: 'clone', cascade: false });
    expect(edge(g, '9000:template', '9001:define')).toEqual({ kind: 'clone', cascade: false });
  });

  it("starts a guest after each dependency's last step", () => {
    const g = build([lxc(953, { features: ['x'] }), lxc(950, { dependencies: [953] })]);
    expect(edge(g, '953:feature:x', '950:start')).toEqual({ kind: 'dependency', cascade: false });
  });

  it('orders deterministically: host first, then guests by dependency order, then ID, then chain position', () => {
    const g = build([lxc(960), lxc(950, { dependencies: [970] }), lxc(970)], ['zfs']);
    const order = topologicalOrder(g);
    const firsts = ['host:zfs', '960:define', '970:define', '950:define'].map((a) => order.indexOf(a));
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(order.indexOf('970:start')).toBeLessThan(order.indexOf('950:define'));
    expect(hasCycle(g)).toBe(false);
    // Same input, same order.
    expect(topologicalOrder(build([lxc(970), lxc(960), lxc(950, { dependencies: [970] })], ['zfs']))).toEqual(
      order,
    );
  });

  it('reports a cycle with its path instead of throwing', () => {
    const r = buildStepGraph(
      fleetOf([lxc(950, { dependencies: [951] }), lxc(951, { dependencies: [950] })]),
      tables,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('cycle');
    expect(r.error.path[0]).toBe(r.error.path.at(-1));
    expect(r.error.path.some((a) => a.startsWith('950:'))).toBe(true);
    expect(r.error.path.some((a) => a.startsWith('951:'))).toBe(true);
    expect(r.error.message).toContain(' -> ');
  });
});

describe('closureFor and resolveTargets', () => {
  const g = build([
    lxc(950, { template_snapshot_name: 'golden' }),
    lxc(951, { clone_from_ctid: 950 }),
    lxc(952, { dependencies: [950] }),
  ]);

  it('includes everything a step needs, across clone edges, in topological order', () => {
    const c = closureFor(g, ['951:configure']);
    expect(c).toEqual([...stepsOf(g, 950), '951:define', '951:configure']);
  });

  it('does not pull in a dependency for steps before start', () => {
    expect(closureFor(g, ['952:configure'])).toEqual(['952:define', '952:configure']);
    expect(closureFor(g, ['952:start'])).toContain('950:snapshot');
  });

  it('expands a guest ID to its last step and suggests a near name for an unknown one', () => {
    expect(resolveTargets(g, ['951', '950:disk'])).toEqual({ ok: true, value: ['951:start', '950:disk'] });
    const bad = resolveTargets(g, ['950:confgure']);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.suggestion).toBe('950:configure');
  });
});
