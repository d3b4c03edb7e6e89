// Build small normalized fleets for unit tests without going through config files.
import { lxcGuest, vmGuest, hypervisor } from '../../src/config/schema.js';
import type { Fleet, Guest } from '../../src/config/model.js';

export interface GuestSketch {
  id: number;
  kind?: 'lxc' | 'vm';
  clone?: number;
  deps?: number[];
  boot?: number;
  snapshot?: string;
  features?: string[];
  template?: boolean;
}

export function sketchFleet(guests: GuestSketch[]): Fleet {
  const map = new Map<number, Guest>();
  for (const g of guests) {
    const common = {
      id: g.id,
      origin: { file: 'test.json', path: [String(g.id)] },
      scripts: {
        features: (g.features ?? []).map((name) => ({ name, path: `/scripts/${name}.sh` })),
        tests: {},
      },
      cloneFrom: g.clone,
      dependencies: g.deps ?? [],
      bootOrder: g.boot ?? 0,
    };
    if (g.kind === 'vm') {
      const config = vmGuest.parse({
        vmid: g.id,
        name: `vm${g.id}`,
        clone_from_vmid: g.clone,
        dependencies: g.deps ?? [],
        boot_order: g.boot ?? 0,
        features: g.features ?? [],
        is_template: g.template ?? false,
        template_snapshot_name: g.snapshot,
      });
      map.set(g.id, { ...common, kind: 'vm', config });
    } else {
      const config = lxcGuest.parse({
        name: `ct${g.id}`,
        clone_from_ctid: g.clone,
        dependencies: g.deps ?? [],
        boot_order: g.boot ?? 0,
        features: g.features ?? [],
        template_snapshot_name: g.snapshot,
      });
      map.set(g.id, { ...common, kind: 'lxc', config });
    }
  }
  return {
    files: ['test.json'],
    root: '/tmp/phoenix-test',
    hypervisorConfigFile: '/tmp/phoenix-test/hypervisor.json',
    hypervisor: hypervisor.parse({}),
    hostSteps: [],
    hypervisorTestRunner: '/tmp/phoenix-test/bin/tests/hypervisor_test_runner.sh',
    guestTestRunner: '/tmp/phoenix-test/bin/tests/test_runner.sh',
    guests: map,
  };
}
