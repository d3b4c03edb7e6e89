// `pre-configured` (the original's create_pre_configured_snapshot, where the user's later lxc-manager takes it:
// after the start, before the features, with enable_lifecycle_snapshots: true): a step aside, so adding it and
// changing a feature re-take nothing they should not.
import { describe, expect, it } from 'vitest';
import type { LxcGuest } from '../../src/config/model.js';
import { makeLxcSteps } from '../../src/tasks/lxc-steps.js';
import { preConfiguredStep } from '../../src/tasks/guest-common.js';
import { fast, fingerprintsOf, fleetOf, harness, lxc } from './fixtures.js';

const TEMPLATE = 'debian-12-standard_12.12-1_amd64.tar.zst';
const ct = (config: Record<string, unknown> = {}): LxcGuest =>
  lxc(730, { template: TEMPLATE, features: ['docker'], enable_lifecycle_snapshots: true, ...config });
const steps = makeLxcSteps(fast);
const names = (g: LxcGuest): string[] => steps.flatMap((s) => s.instances(g, fleetOf([g])));

describe('pre-configured', () => {
  it('sits between start and the features, only with enable_lifecycle_snapshots: true', () => {
    expect(names(ct())).toEqual([
      'define',
      'configure',
      'disk',
      'start',
      'pre-configured',
      'feature:docker',
      'snapshot',
    ]);
    expect(names(ct({ enable_lifecycle_snapshots: undefined }))).not.toContain('pre-configured');
    expect(names(ct({ mount_points: [{ host_path: '/srv/a', container_path: '/a' }] }))).not.toContain(
      'pre-configured',
    );
    // The 30cc6f7 templates name their template snapshot pre-configured: `snapshot` takes it, at the end.
    expect(names(ct({ template_snapshot_name: 'pre-configured' }))).not.toContain('pre-configured');
  });

  it('adding it re-fingerprints nothing else; a feature change re-takes final-form, never pre-configured', () => {
    const fp = (g: LxcGuest) => fingerprintsOf(fleetOf([g]));
    const without = fp(ct({ enable_lifecycle_snapshots: undefined }));
    const withIt = fp(ct());
    expect(Object.keys(withIt).filter((a) => withIt[a] !== without[a])).toEqual(['730:pre-configured']);
    const moreFeatures = fp(ct({ features: ['docker', 'nvidia'] }));
    expect(moreFeatures['730:pre-configured']).toBe(withIt['730:pre-configured']);
    expect(moreFeatures['730:snapshot']).not.toBe(withIt['730:snapshot']);
  });

  it('is taken when missing, before the features, and left alone when there', async () => {
    const g = ct();
    const h = harness(fleetOf([g]), g);
    for (const s of steps)
      for (const name of s.instances(g, fleetOf([g]))) expect((await h.run(s, name)).ok, name).toBe(true);
    const made = h.host.mutating();
    expect(made.indexOf('pct snapshot 730 pre-configured')).toBe(made.indexOf('pct start 730') + 1);
    expect(made.at(-1)).toBe('pct snapshot 730 final-form');
    h.host.calls.length = 0;
    expect((await h.run(preConfiguredStep)).ok).toBe(true);
    expect(h.host.mutating()).toEqual([]);
    expect(preConfiguredStep.preview(h.ctx('pre-configured'))).toEqual([]);
  });

  it("keeps a snapshot an interrupted run's command took meanwhile, and fails when it is not there", async () => {
    const g = ct();
    const h = harness(fleetOf([g]), g);
    h.host.addGuest({ id: 730, kind: 'lxc', status: 'running' });
    // The killed run's `pct snapshot` finishes after this run read the guest: its own take finds the name used.
    h.host.on(
      /^pct snapshot 730 pre-configured$/,
      (_argv, host) => {
        const guest = host.guests.get(730)!;
        guest.snapshots = [...(guest.snapshots ?? []), 'pre-configured'];
        return { exit: 255, stderr: "snapshot name 'pre-configured' already used" };
      },
      1,
    );
    expect((await h.run(preConfiguredStep)).ok).toBe(true);
    const other = ct();
    const h2 = harness(fleetOf([other]), other);
    h2.host.addGuest({ id: 730, kind: 'lxc', status: 'running' });
    h2.host.on(/^pct snapshot 730 pre-configured$/, { exit: 255, stderr: 'storage full' });
    expect((await h2.run(preConfiguredStep)).ok).toBe(false);
  });
});
