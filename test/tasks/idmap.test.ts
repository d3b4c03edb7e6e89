// The `idmap` step (issue 19 item 2): complete lxc.idmap lines from the user's `id_maps`, the /etc/subuid and
// /etc/subgid ranges root needs, drift from the container's config and those files, and the owner of a bind
// mount's folder following the map.
import { describe, expect, it } from 'vitest';
import type { LxcGuest } from '../../src/config/model.js';
import type { LiveGuest } from '../../src/host/live.js';
import { idmapStep } from '../../src/tasks/lxc-idmap-step.js';
import { completeMap, hostIdOf, idMapLines, mapOverlap } from '../../src/tasks/lxc-idmap.js';
import { fleetOf, harness, liveState, lxc, stepCtx } from './fixtures.js';

const WWW = { type: 'gid', host_id: 33, container_id: 33, size: 1 };
const ct = (patch: Record<string, unknown> = {}): LxcGuest =>
  lxc(101, { template: 't.tar.zst', id_maps: [WWW], ...patch });

const LINES = ['u 0 100000 65536', 'g 0 100000 33', 'g 33 33 1', 'g 34 100034 65502'];
const STOCK = 'root:100000:65536\n';

const live = (rawLxc: [string, string][]): LiveGuest => ({
  id: 101,
  kind: 'lxc',
  status: 'stopped',
  template: false,
  snapshots: [],
  config: { hostname: 'ct101', unprivileged: '1' },
  rawLxc,
});

function bound(g: LxcGuest, l: LiveGuest, files?: Record<string, string>) {
  const state = {
    ...liveState([l]),
    ...(files && { hostFiles: new Map(Object.entries(files)) }),
  };
  return stepCtx(fleetOf([g]), g, 'idmap', state);
}

describe('id maps', () => {
  it('fills the ranges around a declared entry with the usual shift, for both types', () => {
    expect(idMapLines(ct())).toEqual(LINES);
    expect(idMapLines(ct({ id_maps: [] }))).toEqual([]);
    expect(hostIdOf(ct(), 'g', 33)).toBe(33);
    expect(hostIdOf(ct(), 'g', 34)).toBe(100034);
    expect(hostIdOf(ct(), 'u', 33)).toBe(100033);
  });

  it('finds an id mapped twice, as pve-container words it', () => {
    const twice = [WWW, { type: 'gid', host_id: 1000, container_id: 33, size: 2 }];
    expect(mapOverlap(completeMap(ct({ id_maps: twice }).config.id_maps, 'g'))).toMatch(
      /^invalid map entry 'g 33 1000 2': container gid 33 is also mapped by entry 'g 33 33 1'$/,
    );
    // A host id inside the shifted range that the fill already uses.
    const shifted = [{ type: 'uid', host_id: 100050, container_id: 10, size: 1 }];
    expect(mapOverlap(completeMap(ct({ id_maps: shifted }).config.id_maps, 'u'))).toMatch(/host uid 100050/);
    expect(mapOverlap(completeMap(ct().config.id_maps, 'g'))).toBeUndefined();
  });

  it('checks the lines and root ranges from the host; previews the append and the edit', () => {
    const asked = LINES.map((l): [string, string] => ['lxc.idmap', l]);
    const files = { '/etc/subuid': STOCK, '/etc/subgid': `${STOCK}root:33:1\n` };
    expect(idmapStep.check(bound(ct(), live(asked), files))).toEqual({ ok: true });
    const stock = { '/etc/subuid': STOCK, '/etc/subgid': STOCK };
    expect(idmapStep.check(bound(ct(), live([]), stock))).toMatchObject({
      ok: false,
      reason: 'drift',
      diffs: [
        { field: 'lxc.idmap', actual: undefined, desired: LINES.join(' | ') },
        { field: '/etc/subgid', desired: 'root:33:1' },
      ],
    });
    expect(idmapStep.preview(bound(ct(), live([]), stock))).toEqual([
      ['append', '/etc/subgid', 'root:33:1'],
      ['edit', '/etc/pve/lxc/101.conf', ...LINES.map((l) => `lxc.idmap: ${l}`)],
    ]);
  });

  it('adds root:33:1 to /etc/subgid, replaces the lxc.idmap lines; a second run does nothing', async () => {
    const g = ct();
    const h = harness(fleetOf([g]), g);
    h.host.addGuest({ id: 101, kind: 'lxc', config: { hostname: 'ct101', unprivileged: '1' } });
    h.host.files.set('/etc/subuid', { content: STOCK, mode: 0o644 });
    h.host.files.set('/etc/subgid', { content: STOCK, mode: 0o644 });
    expect((await h.run(idmapStep)).ok).toBe(true);
    expect(h.host.files.get('/etc/subgid')?.content).toBe(`${STOCK}root:33:1\n`);
    expect(h.host.files.get('/etc/subuid')?.content).toBe(STOCK);
    const conf = (await h.host.readGuestConfig('lxc', 101))?.rawLxc;
    expect(conf).toEqual(LINES.map((l) => ['lxc.idmap', l]));
    const before = h.host.calls.length;
    expect((await h.run(idmapStep)).ok).toBe(true);
    expect(h.host.files.get('/etc/subgid')?.content).toBe(`${STOCK}root:33:1\n`);
    expect(h.host.mutating().slice(before)).toEqual([]);
  });
});
