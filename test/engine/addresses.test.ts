// A step the user names that the guest does not have says why, and what to change (issue 19: `run 730:snapshot`).
import { describe, expect, it } from 'vitest';
import type { Guest } from '../../src/config/model.js';
import { resolveAddresses } from '../../src/engine/addresses.js';
import { buildStepGraph } from '../../src/graph/build.js';
import { stepsOf } from '../../src/graph/query.js';
import { stepTables } from '../../src/tasks/index.js';
import { fleetOf, lxc, vm } from '../tasks/fixtures.js';

const TEMPLATE = 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst';

function resolve(g: Guest, word: string): string {
  const fleet = fleetOf([g]);
  const graph = buildStepGraph(fleet, stepTables);
  if (!graph.ok) throw new Error(graph.error.message);
  const r = resolveAddresses(fleet, graph.value, [word], stepsOf);
  return r.ok ? 'resolved' : r.error;
}

describe('a step the guest does not have', () => {
  it('730:snapshot of a container with a bind mount names the mount and what to change', () => {
    const ct = lxc(730, {
      template: TEMPLATE,
      mount_points: [{ host_path: '/srv/a', container_path: '/a' }],
    });
    expect(resolve(ct, '730:snapshot')).toBe(
      "Error: '730:snapshot' is not a step of 730: container 730 has a bind mount " +
        '(/opt/phoenix/etc/phoenix_lxc_configs.json at lxc_configs.730.mount_points.0), and Proxmox cannot ' +
        'snapshot a container with one (snapshot feature is not available): to have a snapshot, give it volumes ' +
        'on a storage instead of host folders; valid steps: define, configure, disk, mounts, start',
    );
  });

  it('names enable_lifecycle_snapshots: false where it is written', () => {
    const ct = lxc(730, { template: TEMPLATE, enable_lifecycle_snapshots: false });
    expect(resolve(ct, '730:snapshot')).toMatch(
      /container 730 takes no lifecycle snapshot \(enable_lifecycle_snapshots: false, \/opt\/phoenix\/etc\/phoenix_lxc_configs\.json at lxc_configs\.730\.enable_lifecycle_snapshots\) and names no template_snapshot_name: remove that setting/,
    );
  });

  it('a VM template points at its template step', () => {
    const tpl = vm(9000, { template_image: 'x.img', is_template: true });
    expect(resolve(tpl, '9000:snapshot')).toMatch(/VM 9000 is a template, .*its last step is 9000:template;/);
  });

  it('a step the guest has resolves; a mistyped one keeps the nearest-step hint', () => {
    const ct = lxc(730, { template: TEMPLATE });
    expect(resolve(ct, '730:snapshot')).toBe('resolved');
    expect(resolve(ct, '730:snapshott')).toMatch(/did you mean 730:snapshot\?/);
  });
});
