import { describe, expect, it } from 'vitest';
import { formatGraph } from '../../src/reporters/graph.js';
import { formatPlan, planToJson, setupNote } from '../../src/reporters/plan.js';
import { runToJson } from '../../src/reporters/run-json.js';
import { formatWhy, whyToJson } from '../../src/reporters/why.js';
import { lxc } from './fakes.js';
import { built, planWorld, reconfigured } from './harness.js';

const changed = () => {
  const w = reconfigured(
    built([
      lxc(950, { features: ['docker'], template_snapshot_name: 'golden' }),
      lxc(951, { clone_from_ctid: 950 }),
    ]),
    [
      lxc(950, {
        features: ['docker'],
        template_snapshot_name: 'golden',
        memory_mb: 4096,
        storage_pool: 'fast-zfs',
      }),
    ],
  );
  return { w, plan: planWorld(w) };
};

describe('plan reporter', () => {
  it('lists the work in order with reasons, diffs, commands and a summary line', () => {
    const { plan } = changed();
    const text = formatPlan(plan);
    expect(text).toContain('blocked 950:define: needs --replace: storage_pool local-lvm -> fast-zfs');
    expect(text).toContain('blocked 950:configure: waits for 950:define');
    expect(text).toContain('memory_mb: 512 -> 4096');
    expect(text).toContain('$ fake configure 950 configure');
    expect(text.split('\n').at(-1)).toBe('0 to run, 2 blocked, 8 up to date');
    expect(text).not.toContain('951:');
  });

  it('says there is nothing to do when everything is up to date', () => {
    expect(formatPlan(planWorld(built([lxc(950)])))).toBe('0 to run, 0 blocked, 4 up to date');
  });

  it('gives machines every step with argv arrays and a pending flag', () => {
    const json = planToJson(changed().plan);
    expect(json.pending).toBe(true);
    expect(json.summary).toEqual({ run: 0, blocked: 2, upToDate: 8 });
    expect(json.steps.find((s) => s.address === '950:configure')?.commands).toEqual([
      ['fake', 'configure', '950', 'configure'],
    ]);
  });
});

describe('plan reporter: a step that warns', () => {
  it('says the warning beside the step to run, in text, in --json and in why; not once it is up to date', () => {
    const plan = changed().plan;
    const step = plan.steps.find((s) => s.address === '950:configure')!;
    step.status = 'stale';
    step.warning = 'inbound policy DROP on every node';
    expect(formatPlan(plan).split('\n')).toContain('          warning: inbound policy DROP on every node');
    expect(planToJson(plan).steps.find((s) => s.address === '950:configure')?.warning).toBe(
      'inbound policy DROP on every node',
    );
    expect(formatWhy([step])).toContain('  warning: inbound policy DROP on every node');
    expect(planToJson(planWorld(built([lxc(950)]))).steps.some((s) => s.warning !== undefined)).toBe(false);
  });
});

describe('plan reporter: changes pending until a restart', () => {
  // A setting a running guest cannot take stays pending until its next start (docs/proxmox-facts.md, "Pending
  // changes"): the plan says so even though no step has work.
  it('names the setting, its two values and the command that applies it', () => {
    const plan = planWorld(built([lxc(950)]));
    const configure = plan.steps.find((s) => s.address === '950:configure')!;
    configure.pendingRestart = [{ field: 'features', actual: 'nesting=0', desired: 'nesting=1' }];
    expect(formatPlan(plan).split('\n')).toEqual([
      "pending 950:configure: until 950 restarts: features nesting=0 -> nesting=1 ('phoenix restart 950' applies it)",
      '',
      '0 to run, 0 blocked, 4 up to date',
    ]);
    expect(planToJson(plan).steps.find((s) => s.address === '950:configure')?.pendingRestart).toEqual(
      configure.pendingRestart,
    );
  });
});

describe('why reporter', () => {
  it('explains every step of a guest, naming the changed field with old and new values', () => {
    const { plan } = changed();
    const text = formatWhy(plan.steps.filter((s) => s.target === 950));
    expect(text).toContain('950: 2 of');
    expect(text).toMatch(/up to date\s+950:disk: fingerprint [0-9a-f]{12} matches/);
    expect(text).toContain('memory_mb: 512 -> 4096');
    expect(whyToJson(plan.steps).find((s) => s.address === '950:configure')?.status).toBe('blocked');
  });

  it('shows inputs and commands for a single step', () => {
    const text = formatWhy(changed().plan.steps.filter((s) => s.address === '950:configure'));
    expect(text).toContain('memory_mb = 4096');
    expect(text).toContain('$ fake configure 950 configure');
  });
});

describe('graph reporter', () => {
  const { w } = changed();
  it('renders mermaid with cascading edges thick and clone edges dotted', () => {
    const m = formatGraph(w.graph, 'mermaid');
    expect(m).toMatch(/^flowchart TD/);
    expect(m).toContain('subgraph t_950["950 ct950 (lxc)"]');
    expect(m).toMatch(/n\d+ ==> n\d+/);
    expect(m).toMatch(/n\d+ -\.->\|clone\| n\d+/);
  });

  it('renders dot and json restricted to a set of steps', () => {
    expect(formatGraph(w.graph, 'dot', ['950:snapshot', '951:define'])).toContain(
      '"950:snapshot" -> "951:define" [style=dashed, label="clone"];',
    );
    const json = JSON.parse(formatGraph(w.graph, 'json')) as { nodes: unknown[]; edges: { kind: string }[] };
    expect(json.nodes).toHaveLength(w.graph.order);
    expect(json.edges.filter((e) => e.kind === 'clone')).toHaveLength(1);
  });

  it("marks the plan's stale and blocked steps, with a legend (issue 16 item 10)", () => {
    const statuses = new Map(changed().plan.steps.map((s) => [s.address, s.status]));
    const dot = formatGraph(w.graph, 'dot', undefined, statuses);
    expect(dot).toContain('"950:define" [label="define", style=filled, fillcolor="#f4a3a3"];'); // blocked
    expect(dot).toContain('"950:start" [label="start"];'); // up to date: plain
    expect(dot).toMatch(/subgraph "cluster_legend" \{\n {4}label="legend";/);
    expect(dot).toContain(
      '[label="blocked (see phoenix plan)", shape=box, style=filled, fillcolor="#f4a3a3"]',
    );
    expect(dot).toContain('[style=dashed, label="order only (clone, dependency)"]');
    const json = JSON.parse(formatGraph(w.graph, 'json', undefined, statuses)) as {
      nodes: { address: string; status?: string }[];
    };
    expect(json.nodes.find((n) => n.address === '950:configure')?.status).toBe('blocked');
    expect(formatGraph(w.graph, 'mermaid', undefined, statuses)).toMatch(/class n\d+,n\d+ blocked/);
  });
});

describe('plan reporter: host setup left out (issue 16 item 9)', () => {
  it('names the stale host:* steps a plan of guests leaves out, and the command that runs them', () => {
    const plan = { ...planWorld(built([lxc(950)])), setupLeftOut: ['host:setup_zfs', 'host:setup_nfs'] };
    expect(formatPlan(plan).split('\n')).toEqual([
      "setup   2 host setup steps are out of date and not part of this plan: host:setup_zfs, host:setup_nfs ('phoenix setup' runs them; 'phoenix plan host' shows why)",
      '',
      '0 to run, 0 blocked, 4 up to date',
    ]);
    expect(planToJson(plan).setupLeftOut).toEqual(['host:setup_zfs', 'host:setup_nfs']);
    expect(setupNote(planWorld(built([lxc(950)])))).toBeUndefined();
  });
});

describe('run reporter: --json (issue 16 item 3)', () => {
  it('gives each step of the plan what became of it: status, duration, error and the commands it ran', () => {
    const { plan } = changed(); // 950:define and 950:configure blocked, the rest up to date
    const stale = { ...plan.steps.find((s) => s.address === '951:configure')!, status: 'stale' as const };
    const next = { ...plan.steps.find((s) => s.address === '951:start')!, status: 'stale' as const };
    const failing = { ...plan.steps.find((s) => s.address === '951:disk')!, status: 'stale' as const };
    const steps = plan.steps.map((s) =>
      s.address === stale.address
        ? stale
        : s.address === next.address
          ? next
          : s.address === failing.address
            ? failing
            : s,
    );
    const doc = runToJson(
      { steps },
      {
        summary: {
          ran: ['951:configure'],
          skipped: ['951:start'],
          skipReasons: { '951:start': 'upstream 951:disk failed' },
          failed: [
            {
              address: '951:disk',
              message: 'pct resize failed',
              command: {
                reason: 'exit-non-zero',
                argv: ['pct', 'resize', '951', 'rootfs', '9G'],
                exitCode: 2,
                stderrTail: 'no space',
                message: 'pct resize 951 failed (exit 2): no space',
              },
            },
          ],
          blocked: ['950:define', '950:configure'],
          upToDate: 6,
          wallMs: 1200,
          logFile: '/c/logs/run.log',
          interrupted: false,
        },
        durations: new Map([
          ['951:configure', 300],
          ['951:disk', 40],
        ]),
        commands: new Map([['951:configure', [['pct', 'set', '951', '--memory', '512']]]]),
      },
    );
    const byAddress = new Map(doc.steps.map((s) => [s.address, s]));
    expect(byAddress.get('951:configure')).toEqual({
      address: '951:configure',
      target: 951,
      status: 'ran',
      durationMs: 300,
      commands: [['pct', 'set', '951', '--memory', '512']],
    });
    expect(byAddress.get('951:disk')).toMatchObject({
      status: 'failed',
      durationMs: 40,
      error: {
        message: 'pct resize failed',
        command: { argv: ['pct', 'resize', '951', 'rootfs', '9G'], exitCode: 2 },
      },
    });
    expect(byAddress.get('951:start')).toMatchObject({
      status: 'skipped',
      reason: 'upstream 951:disk failed',
    });
    expect(byAddress.get('950:define')).toMatchObject({
      status: 'blocked',
      reason: expect.stringContaining('--replace') as string,
    });
    expect(doc.summary).toEqual({
      ran: 1,
      failed: 1,
      skipped: 1,
      blocked: 2,
      upToDate: plan.steps.length - 5,
      interrupted: false,
      wallMs: 1200,
    });
    expect(doc.log).toBe('/c/logs/run.log');
    expect(doc.plan.steps).toHaveLength(plan.steps.length);
  });
});

describe('plan reporter: a guest found on another node (issue 15 item 3)', () => {
  const moved = (configured: boolean) => ({
    ...planWorld(built([lxc(950)])),
    moved: [{ id: 950, kind: 'lxc' as const, from: 'pve2', to: 'pve1', configured }],
  });

  it('says where it is, where the config or the placement put it, and that nothing moves it back', () => {
    expect(formatPlan(moved(true)).split('\n')[0]).toBe(
      "moved   950: on pve1, not on pve2 as its config's node key says (HA or a migration); worked on where it is, not moved back: 'pct migrate 950 pve2 --restart' on pve1 moves it, or set its node key to pve1",
    );
    expect(formatPlan(moved(false)).split('\n')[0]).toBe(
      'moved   950: on pve1, not on pve2 where an earlier run placed it (HA or a migration); worked on where it is, and a run records pve1 as its place',
    );
    expect(planToJson(moved(true)).moved).toEqual([
      { id: 950, kind: 'lxc', from: 'pve2', to: 'pve1', configured: true },
    ]);
    const plan = moved(true);
    expect(formatWhy(plan.steps, { moved: plan.moved }).split('\n').slice(0, 2)).toEqual([
      '950: up to date',
      "  moved       on pve1, not on pve2 as its config's node key says (HA or a migration); worked on where it is, not moved back: 'pct migrate 950 pve2 --restart' on pve1 moves it, or set its node key to pve1",
    ]);
    expect(whyToJson(plan.steps, plan.moved)[0]?.moved).toEqual({
      from: 'pve2',
      to: 'pve1',
      configured: true,
    });
  });
});
