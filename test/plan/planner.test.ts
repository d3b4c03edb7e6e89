import { describe, expect, it } from 'vitest';
import { lxc, vm } from './fakes.js';
import { runPlan } from './fakes.js';
import { addresses, built, planWorld, reconfigured, step, work, world } from './harness.js';

const full = {
  features: ['nvidia', 'docker'],
  application_script: 'app.sh',
  health_check: { command: 'curl -f localhost' },
  template_snapshot_name: 'golden',
  network_config: { ip: 'dhcp' },
};

describe('plan: reasons', () => {
  it('never-ran: a fresh host runs every step once, in order', () => {
    const w = world([lxc(950, full)]);
    const p = planWorld(w);
    expect(p.steps.every((s) => s.status === 'stale' && s.reasons[0]?.type === 'never-ran')).toBe(true);
    expect(addresses(p.steps)[0]).toBe('950:define');
  });

  it('after a full run nothing is left to do', () => {
    expect(work(planWorld(built([lxc(950, full), vm(9000, { features: ['base'] })])))).toEqual([]);
  });

  const cases: {
    name: string;
    change: (w: ReturnType<typeof built>) => ReturnType<typeof built>;
    stale: string[];
    reason: Record<string, unknown>;
  }[] = [
    {
      name: 'input-changed: memory re-runs only configure, naming old and new value',
      change: (w) => reconfigured(w, [lxc(950, { ...full, memory_mb: 4096 })]),
      stale: ['950:configure'],
      reason: { type: 'input-changed', diffs: [{ field: 'memory_mb', actual: 512, desired: 4096 }] },
    },
    {
      name: 'input-changed: nested fields are dotted',
      change: (w) => reconfigured(w, [lxc(950, { ...full, network_config: { ip: '10.0.0.5/24' } })]),
      stale: ['950:configure'],
      reason: {
        type: 'input-changed',
        diffs: [{ field: 'network_config.ip', actual: 'dhcp', desired: '10.0.0.5/24' }],
      },
    },
    {
      name: 'script-changed: a feature script re-runs that feature and what builds on it',
      change: (w) => (w.scripts.contents.set('/scripts/lxc/nvidia.sh', 'v2'), w),
      stale: ['950:feature:nvidia', '950:feature:docker', '950:app', '950:health', '950:snapshot'],
      reason: { type: 'script-changed', scripts: ['/scripts/lxc/nvidia.sh'] },
    },
    {
      name: 'drift: a guest stopped behind our back restarts, nothing else',
      change: (w) => ((w.live.guests.get(950)!.status = 'stopped'), w),
      stale: ['950:start'],
      reason: { type: 'drift', diffs: [{ field: 'status', actual: 'stopped', desired: 'running' }] },
    },
    {
      name: 'drift: a config edited behind our back is re-applied',
      change: (w) => ((w.live.guests.get(950)!.config!['memory'] = '256'), w),
      stale: ['950:configure'],
      reason: { type: 'drift', diffs: [{ field: 'memory', actual: '256', desired: '512' }] },
    },
    {
      name: 'missing: a deleted snapshot is taken again',
      change: (w) => ((w.live.guests.get(950)!.snapshots = []), w),
      stale: ['950:snapshot'],
      reason: { type: 'missing' },
    },
    {
      name: 'recreated: another incarnation of the guest re-runs all its steps',
      change: (w) => ((w.live.guests.get(950)!.incarnation = 'someone-else'), w),
      stale: [
        '950:define',
        '950:configure',
        '950:disk',
        '950:start',
        '950:feature:nvidia',
        '950:feature:docker',
        '950:app',
        '950:health',
        '950:snapshot',
      ],
      reason: { type: 'recreated' },
    },
    {
      name: 'recreated: a guest deleted behind our back is built again',
      change: (w) => (w.live.guests.delete(950), w),
      stale: [
        '950:define',
        '950:configure',
        '950:disk',
        '950:start',
        '950:feature:nvidia',
        '950:feature:docker',
        '950:app',
        '950:health',
        '950:snapshot',
      ],
      reason: { type: 'recreated', detail: 'guest 950 no longer exists on the host' },
    },
    {
      name: 'format-changed: a record whose fingerprint differs for no visible reason',
      change: (w) => (w.cache.set('950:disk', { ...w.cache.get('950:disk')!, fingerprint: 'old-format' }), w),
      stale: ['950:disk'],
      reason: { type: 'format-changed' },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const p = planWorld(c.change(built([lxc(950, full)])));
      expect(addresses(work(p))).toEqual(c.stale);
      expect(work(p)[0]!.reasons).toContainEqual(expect.objectContaining(toMatcher(c.reason)));
    });
  }

  it('recreated outside Phoenix: blocked (needs --replace), never renamed, reconfigured or given the app', () => {
    const w = built([lxc(950, full)]);
    w.live.guests.get(950)!.incarnation = 'someone-else';
    const p = planWorld(w);
    expect(step(p, '950:define')).toMatchObject({ status: 'blocked' });
    expect(step(p, '950:define').blocked).toMatch(
      /^needs --replace: guest 950 was re-created outside Phoenix/,
    );
    expect(work(p).every((s) => s.status === 'blocked')).toBe(true);
    const replaced = planWorld(w, { replace: true });
    expect(step(replaced, '950:define')).toMatchObject({ status: 'stale', replace: true });
    expect(work(replaced).every((s) => s.status === 'stale')).toBe(true);
  });

  it('upstream: steps downstream of a changed feature name the upstream that changed', () => {
    const w = built([lxc(950, full)]);
    w.scripts.contents.set('/scripts/lxc/nvidia.sh', 'v2');
    const p = planWorld(w);
    expect(step(p, '950:feature:docker').reasons).toEqual([
      { type: 'upstream', address: '950:feature:nvidia' },
    ]);
    expect(step(p, '950:app').reasons).toEqual([{ type: 'upstream', address: '950:feature:docker' }]);
  });

  it('forced: --force re-runs the named step, or every step of a guest ID', () => {
    const w = built([lxc(950, full)]);
    expect(addresses(work(planWorld(w, { force: ['950:disk'] })))).toEqual(['950:disk']);
    expect(step(planWorld(w, { force: ['950:disk'] }), '950:disk').reasons).toEqual([{ type: 'forced' }]);
    expect(work(planWorld(w, { force: ['950'] }))).toHaveLength(9);
  });

  it("unknown live checks leave the decision to the cache (feature steps can't be checked from outside)", () => {
    const w = built([lxc(950, full)]);
    w.live.guests.get(950)!.config = undefined; // not read: configure's check is unknown too
    expect(work(planWorld(w))).toEqual([]);
  });

  it('a config change is "changed", not drift; drift is the host moving from what Phoenix applied', () => {
    const w = reconfigured(built([lxc(950, full)]), [lxc(950, { ...full, memory_mb: 4096 })]);
    expect(step(planWorld(w), '950:configure').reasons.map((r) => r.type)).toEqual(['input-changed']);
    const byHand = built([lxc(950, full)]);
    byHand.live.guests.get(950)!.config!['cores'] = '8';
    expect(step(planWorld(byHand), '950:configure').reasons.map((r) => r.type)).toEqual(['drift']);
  });

  it('failed: a step whose last run failed after it once succeeded is stale until it succeeds again', () => {
    const w = built([lxc(950, full)]);
    const record = w.cache.get('950:app')!;
    w.cache.set('950:app', {
      ...record,
      failed: { at: '2026-01-01T00:00:00Z', message: 'app.sh failed (exit 1)' },
    });
    const p = planWorld(w);
    expect(step(p, '950:app')).toMatchObject({
      status: 'stale',
      reasons: [{ type: 'failed', at: '2026-01-01T00:00:00Z', message: 'app.sh failed (exit 1)' }],
    });
    w.cache.set('950:app', record);
    expect(work(planWorld(w))).toEqual([]);
  });

  it('noCache plans every step as never run (the bash pattern)', () => {
    const p = planWorld(built([lxc(950, full)]), { noCache: true });
    expect(p.steps.every((s) => s.status === 'stale' && s.reasons.some((r) => r.type === 'never-ran'))).toBe(
      true,
    );
  });

  it("covers only the closure of the requested targets, and a step's after skips up-to-date steps", () => {
    const w0 = built([lxc(950, full), lxc(951, full)]);
    const w = reconfigured(w0, [lxc(950, { ...full, memory_mb: 1024 })]);
    w.scripts.contents.set('/scripts/lxc/nvidia.sh', 'v2');
    const p = planWorld(w, { targets: ['950'] });
    expect(p.steps.every((s) => s.target === 950)).toBe(true);
    expect(step(p, '950:feature:nvidia').after).toEqual(['950:configure']);
    expect(step(p, '950:app').after).toEqual(['950:feature:docker']);
    expect(step(p, '950:configure').after).toEqual([]);
  });

  it('lists previews (the exact commands) for work only', () => {
    const p = planWorld(reconfigured(built([lxc(950)]), [lxc(950, { memory_mb: 1024 })]));
    expect(step(p, '950:configure').preview).toEqual([['fake', 'configure', '950', 'configure']]);
    expect(step(p, '950:disk').preview).toEqual([]);
  });
});

describe('plan: blocked', () => {
  it('a define input that needs a new guest is blocked, and stale steps after it wait', () => {
    const w = reconfigured(built([lxc(950, full)]), [
      lxc(950, { ...full, storage_pool: 'fast-zfs', memory_mb: 1024 }),
    ]);
    const p = planWorld(w);
    expect(step(p, '950:define')).toMatchObject({
      status: 'blocked',
      blocked: 'needs --replace: storage_pool local-lvm -> fast-zfs',
    });
    expect(step(p, '950:configure')).toMatchObject({ status: 'blocked', blocked: 'waits for 950:define' });
    expect(step(p, '950:disk').status).toBe('up-to-date');
  });

  it.each([
    ['template', { template: 'local:vztmpl/ubuntu.tar.zst' }],
    ['unprivileged', { unprivileged: false }],
  ])('changing %s of an existing container is blocked', (field, change) => {
    const p = planWorld(reconfigured(built([lxc(950)]), [lxc(950, change)]));
    expect(step(p, '950:define').blocked).toMatch(new RegExp(`^needs --replace: ${field} `));
  });

  it('changing the clone source of an existing clone is blocked', () => {
    const guests = [
      lxc(950, { template_snapshot_name: 'golden' }),
      lxc(960, { template_snapshot_name: 'base' }),
      lxc(951, { clone_from_ctid: 950 }),
    ];
    const p = planWorld(reconfigured(built(guests), [lxc(951, { clone_from_ctid: 960 })]));
    expect(step(p, '951:define').blocked).toContain('clone_from_ctid 950 -> 960');
  });

  it('a renamed guest or a guest that does not exist yet is not blocked', () => {
    expect(
      step(planWorld(reconfigured(built([lxc(950)]), [lxc(950, { name: 'renamed' })])), '950:define').status,
    ).toBe('stale');
    expect(step(planWorld(world([lxc(950, { storage_pool: 'fast-zfs' })])), '950:define').status).toBe(
      'stale',
    );
  });

  it('shrinking a disk in the config is blocked', () => {
    const p = planWorld(
      reconfigured(built([lxc(950, { storage_size_gb: 16 })]), [lxc(950, { storage_size_gb: 8 })]),
    );
    expect(step(p, '950:disk')).toMatchObject({
      status: 'blocked',
      blocked: 'needs --replace: cannot shrink storage_size_gb 16 -> 8',
    });
  });

  it('a disk larger on the host than desired (drift actual > desired) is blocked', () => {
    const w = built([lxc(950)]);
    w.live.guests.get(950)!.config!['size'] = '20';
    expect(step(planWorld(w), '950:disk').blocked).toBe(
      'needs --replace: cannot shrink storage_size_gb 20 -> 8',
    );
  });

  it('a VM disk shrink hidden in configure is blocked too', () => {
    const p = planWorld(
      reconfigured(built([vm(9000, { disk_size_gb: 64 })]), [vm(9000, { disk_size_gb: 32 })]),
    );
    expect(step(p, '9000:configure').blocked).toBe('needs --replace: cannot shrink disk_size_gb 64 -> 32');
  });

  it('a changed build re-takes the snapshot; existing clones are built from an older source, blocked', () => {
    const w = built([lxc(950, full), lxc(951, { clone_from_ctid: 950 }), lxc(952, { clone_from_ctid: 950 })]);
    w.scripts.contents.set('/scripts/engine/app.sh', 'v2');
    w.cache.delete('952:define'); // recorded before Phoenix kept a clone's source: still older
    const p = planWorld(w);
    expect(step(p, '950:snapshot')).toMatchObject({ status: 'stale', redo: true, retake: 'golden' });
    expect(step(p, '950:snapshot')).not.toHaveProperty('blocked');
    for (const clone of [951, 952])
      expect(step(p, `${clone}:define`)).toMatchObject({
        status: 'blocked',
        blocked: `needs --replace: built from an older 950:snapshot: this run re-takes snapshot golden; ${clone} keeps the build it was cloned from`,
      });
    expect(step(p, '951:configure').status).toBe('up-to-date'); // never "stale", nothing else to redo
  });

  it('a clone that does not exist yet is made from the new build after the re-take', () => {
    const w = built([lxc(950, full), lxc(951, { clone_from_ctid: 950 })]);
    w.scripts.contents.set('/scripts/engine/app.sh', 'v2');
    w.live.guests.delete(951);
    const p = planWorld(w);
    expect(step(p, '951:define').status).toBe('stale');
    expect(step(p, '951:define').reasons.map((r) => r.type)).not.toContain('older-source');
    expect(step(p, '951:define').source).toMatchObject({ address: '950:snapshot' });
  });

  it('after the re-take the clones stay built from an older source, never up to date, until --replace', () => {
    const w = built([lxc(950, full), lxc(951, { clone_from_ctid: 950 })]);
    w.scripts.contents.set('/scripts/engine/app.sh', 'v2');
    runPlan(planWorld(w), w.fleet, w.live, w.cache); // re-takes; 951:define stays blocked
    const p = planWorld(w);
    expect(step(p, '950:snapshot').status).toBe('up-to-date');
    expect(step(p, '951:define')).toMatchObject({
      status: 'blocked',
      blocked:
        'needs --replace: built from an older 950:snapshot: its build changed after 951 was cloned from it',
    });
    const replaced = planWorld(w, { replace: true });
    expect(step(replaced, '951:define')).toMatchObject({ status: 'stale', replace: true });
    runPlan(replaced, w.fleet, w.live, w.cache);
    expect(work(planWorld(w))).toEqual([]);
  });

  it('a source re-created since the clone was made leaves the clone built from an older source', () => {
    const w = built([lxc(950, full), lxc(951, { clone_from_ctid: 950 })]);
    w.live.guests.get(950)!.incarnation = 'another-950';
    for (const a of [
      '950:define',
      '950:configure',
      '950:disk',
      '950:start',
      '950:feature:nvidia',
      '950:feature:docker',
      '950:app',
      '950:health',
      '950:snapshot',
    ])
      w.cache.set(a, { ...w.cache.get(a)!, incarnation: 'another-950' });
    expect(step(planWorld(w), '951:define').blocked).toBe(
      'needs --replace: built from an older 950:snapshot: 950 was re-created after 951 was cloned from it',
    );
  });

  it('--replace re-creates the clones of a guest it re-creates, in order', () => {
    const w = reconfigured(built([lxc(950, full), lxc(951, { clone_from_ctid: 950 })]), [
      lxc(950, { ...full, storage_pool: 'fast-zfs' }),
    ]);
    const p = planWorld(w, { replace: true });
    expect(step(p, '950:define').replace).toBe(true);
    expect(step(p, '951:define')).toMatchObject({ status: 'stale', replace: true });
  });

  it('a snapshot that linked clones sit on is never re-taken, --replace or not', () => {
    const w = built([lxc(950, full), lxc(951, { clone_from_ctid: 950 })]);
    w.live.guests.get(951)!.config = { rootfs: 'local-lvm:base-950-disk-0/vm-951-disk-0,size=8G' };
    w.scripts.contents.set('/scripts/engine/app.sh', 'v2');
    for (const replace of [false, true])
      expect(step(planWorld(w, { replace }), '950:snapshot')).toMatchObject({
        status: 'blocked',
        blocked:
          're-taking snapshot golden of 950 would delete what linked clones 951 sit on: delete them first (phoenix delete 951 --yes)',
      });
  });

  it('a guest that linked clones sit on is not re-created, --replace or not', () => {
    const w = reconfigured(built([vm(9000), vm(1000, { clone_from_vmid: 9000 })]), [
      vm(9000, { storage_pool: 'fast-zfs' }),
    ]);
    w.live.guests.get(1000)!.config = { scsi0: 'local-lvm:base-9000-disk-0/vm-1000-disk-0,size=16G' };
    expect(step(planWorld(w, { replace: true }), '9000:define').blocked).toBe(
      'storage_pool local-lvm -> fast-zfs; but 1000 is a linked clone of 9000 (on its base volumes), so it ' +
        'cannot be re-created while it exists: delete it first (phoenix delete 1000 --yes)',
    );
  });

  it('--replace re-creates the guest: every step runs, define is flagged, even beyond the requested steps', () => {
    const w = reconfigured(built([lxc(950, full)]), [lxc(950, { ...full, storage_pool: 'fast-zfs' })]);
    const p = planWorld(w, { targets: ['950:define'], replace: true });
    expect(p.steps).toHaveLength(9);
    expect(p.steps.every((s) => s.status === 'stale')).toBe(true);
    expect(step(p, '950:define').replace).toBe(true);
    expect(step(p, '950:configure').replace).toBeUndefined();
    expect(step(p, '950:app').reasons).toContainEqual({
      type: 'recreated',
      detail: 'replaced (--replace): storage_pool local-lvm -> fast-zfs',
    });
  });

  it('never plans anything for a guest that left the config', () => {
    const w = built([lxc(950), lxc(951)]);
    const p = planWorld(
      reconfigured({ ...w, fleet: { ...w.fleet, guests: new Map([[950, w.fleet.guests.get(950)!]]) } }, []),
    );
    expect(p.steps.some((s) => s.target === 951)).toBe(false);
    expect(work(p)).toEqual([]);
  });
});

/** `{ diffs: [{...}] }` -> asymmetric matchers, so a case names only the fields it cares about. */
function toMatcher(reason: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...reason };
  if (Array.isArray(reason['diffs'])) {
    out['diffs'] = expect.arrayContaining(
      (reason['diffs'] as object[]).map((d): unknown => expect.objectContaining(d)),
    );
  }
  if (typeof reason['detail'] !== 'string' && 'detail' in reason) delete out['detail'];
  return out;
}

describe('plan: blocked by what the host is', () => {
  it('a feature change on a VM that is already a template is blocked (it can no longer run inside it)', () => {
    const w = built([vm(9000, { is_template: true, features: ['docker'] })]);
    const script = [...w.fleet.guests.get(9000)!.scripts.features][0]!.path;
    w.scripts.contents.set(script, 'v2');
    expect(step(planWorld(w), '9000:feature:docker')).toMatchObject({
      status: 'blocked',
      blocked:
        'needs --replace: VM 9000 is already a template; its feature step can only re-run by re-creating it',
    });
  });

  it('drift the step table marks as needing a new guest is blocked with its words', async () => {
    const { blockCause } = await import('../../src/plan/blocking.js');
    const w = built([lxc(950)]);
    const cause = blockCause(
      {
        kind: 'disk',
        target: 950,
        reasons: [{ type: 'drift', detail: 'rootfs', diffs: [] }],
        check: {
          ok: false,
          reason: 'drift',
          detail: 'rootfs',
          diffs: [],
          needsReplace: 'rootfs is on local, config says fast-zfs',
        },
        inputs: {},
      },
      w.live,
    );
    expect(cause).toEqual({ scope: 'guest', message: 'rootfs is on local, config says fast-zfs' });
  });
});
